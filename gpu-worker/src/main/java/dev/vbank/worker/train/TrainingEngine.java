package dev.vbank.worker.train;

import ai.djl.Device;
import dev.vbank.text.eval.SuiteEvaluator;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.text.train.FineTuner;
import dev.vbank.vblora.device.DeviceUnavailableException;
import dev.vbank.vblora.device.Devices;
import dev.vbank.worker.JobFailure;
import dev.vbank.worker.WorkerConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.nio.file.Path;

/**
 * The worker's one {@link FineTuner} (base weights stay loaded between jobs) and its device. libtorch is loaded on the
 * first job, not at start, so a worker is ready (and its health checks answer) while natives are still unpacked.
 * Only the training thread calls {@link #tuner()}.
 */
@ApplicationScoped
public class TrainingEngine {

    private static final Logger LOG = Logger.getLogger(TrainingEngine.class);

    private final WorkerConfig config;
    private FineTuner tuner;
    private SuiteEvaluator evaluator;
    private Device device;

    public TrainingEngine(WorkerConfig config) {
        this.config = config;
    }

    public synchronized FineTuner tuner() {
        if (tuner == null) {
            device = selectDevice(config.device());
            Path models = config.modelsDir().map(Path::of).orElseGet(BaseModelStore::defaultDirectory);
            tuner = new FineTuner(new BaseModelStore(models), device);
            LOG.infof("training engine ready on %s; base models cached under %s", device, models);
        }
        return tuner;
    }

    /** Scores adapters on evaluation suites with the tuner's base weights (created with the tuner). */
    public synchronized SuiteEvaluator evaluator() {
        if (evaluator == null) {
            evaluator = new SuiteEvaluator(tuner());
        }
        return evaluator;
    }

    /** The device jobs train on, once the engine is loaded (null before). */
    public synchronized String device() {
        return device == null ? null : device.toString();
    }

    /**
     * The device for the worker's {@code vbank.worker.device} setting (vblora-core {@link Devices}); a device this build
     * or machine cannot give fails the job with {@code device_unavailable} before anything trains.
     */
    static Device selectDevice(String setting) {
        try {
            return Devices.select(setting);
        } catch (DeviceUnavailableException e) {
            throw new JobFailure("device_unavailable", "vbank.worker.device=" + setting + ": " + e.getMessage(), null, e);
        }
    }

    @PreDestroy
    synchronized void close() {
        if (evaluator != null) {
            evaluator.close();
            evaluator = null;
        }
        if (tuner != null) {
            tuner.close();
            tuner = null;
        }
    }
}

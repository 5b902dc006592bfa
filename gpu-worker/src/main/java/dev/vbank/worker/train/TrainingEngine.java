package dev.vbank.worker.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.vbank.text.eval.SuiteEvaluator;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.text.train.FineTuner;
import dev.vbank.worker.JobFailure;
import dev.vbank.worker.WorkerConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.Locale;

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
    private String device;

    public TrainingEngine(WorkerConfig config) {
        this.config = config;
    }

    public synchronized FineTuner tuner() {
        if (tuner == null) {
            device = selectDevice(config.device());
            Path models = config.modelsDir().map(Path::of).orElseGet(BaseModelStore::defaultDirectory);
            tuner = new FineTuner(new BaseModelStore(models));
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
        return device;
    }

    /**
     * {@code auto}: DJL's default (the first GPU when this build has CUDA natives and a GPU is visible, else the CPU);
     * {@code cpu}: the CPU even when a GPU is visible; {@code gpu}: a GPU or a clear failure.
     */
    static String selectDevice(String wanted) {
        Engine engine;
        try {
            engine = Engine.getEngine("PyTorch");
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new JobFailure("device_unavailable", "the PyTorch engine did not load: " + e.getMessage(), null, e);
        }
        int gpus = engine.getGpuCount();
        switch (wanted.toLowerCase(Locale.ROOT)) {
            case "auto" -> {
            }
            case "cpu" -> {
                if (gpus > 0) {
                    forceDefaultDevice(engine, Device.cpu());
                }
            }
            case "gpu", "cuda" -> {
                if (gpus == 0) {
                    throw new JobFailure("device_unavailable", "vbank.worker.device=gpu but no GPU is usable (this build"
                            + " has " + (engine.hasCapability("CUDA") ? "CUDA natives but sees no GPU" : "CPU natives only;"
                            + " build with -Pcuda") + ")", null);
                }
            }
            default -> throw new JobFailure("device_unavailable", "vbank.worker.device must be auto, cpu or gpu, was '"
                    + wanted + "'", null);
        }
        return engine.defaultDevice().toString();
    }

    /** FineTuner builds its arrays on the engine's default device and DJL has no setting for it. */
    private static void forceDefaultDevice(Engine engine, Device device) {
        try {
            Field f = Engine.class.getDeclaredField("defaultDevice");
            f.setAccessible(true);
            f.set(engine, device);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new JobFailure("device_unavailable", "cannot make " + device + " the training device: " + e, null, e);
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

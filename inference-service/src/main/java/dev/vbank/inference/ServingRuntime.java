package dev.vbank.inference;

import dev.vbank.service.error.Invalid;
import dev.vbank.service.error.NotFound;
import dev.vbank.service.error.Unavailable;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.serve.AdapterCache;
import dev.vbank.text.serve.InferenceEngine;
import dev.vbank.text.serve.ServedAdapter;
import dev.vbank.text.train.FineTuner;
import dev.vbank.vblora.device.DeviceUnavailableException;
import dev.vbank.vblora.device.Devices;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.List;

/**
 * The service's engine: base models (loaded once, through the worker's {@link FineTuner}), the batching
 * {@link InferenceEngine} and the byte-bounded cache of composed adapters keyed by tenant and adapter id. libtorch loads
 * on first use, or at start in the background for the base models {@code vbank.inference.preload} names.
 */
@ApplicationScoped
public class ServingRuntime {

    private static final Logger LOG = Logger.getLogger(ServingRuntime.class);

    private final InferenceConfig config;
    private final ArtifactFetcher fetcher;
    private FineTuner tuner;
    private InferenceEngine engine;
    private AdapterCache cache;
    private ai.djl.Device device;

    public ServingRuntime(InferenceConfig config, ArtifactFetcher fetcher) {
        this.config = config;
        this.fetcher = fetcher;
    }

    void start(@Observes StartupEvent ignored) {
        List<String> preload = config.preload().orElse(List.of());
        if (preload.isEmpty()) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                for (String id : preload) {
                    engine().warmUp(BaseModels.get(id)).join();
                    LOG.infof("base model %s loaded", id);
                }
            } catch (RuntimeException e) {
                LOG.errorf(e, "preloading %s failed; models load on first use", preload);
            }
        }, "inference-preload");
        t.setDaemon(true);
        t.start();
    }

    public synchronized InferenceEngine engine() {
        if (engine == null) {
            try {
                device = Devices.select(config.device());
            } catch (DeviceUnavailableException e) {
                throw new Unavailable("service_unavailable", "vbank.inference.device: " + e.getMessage(), null);
            }
            Path models = config.modelsDir().map(Path::of).orElseGet(BaseModelStore::defaultDirectory);
            tuner = new FineTuner(new BaseModelStore(models), device);
            engine = new InferenceEngine(tuner, config.batchWindow(), config.maxBatchRows());
            cache = new AdapterCache(config.cacheBytes());
            LOG.infof("inference engine ready on %s; window %s, up to %d rows a batch, %d cache bytes", device,
                    config.batchWindow(), config.maxBatchRows(), config.cacheBytes());
        }
        return engine;
    }

    private synchronized AdapterCache cache() {
        engine();
        return cache;
    }

    /** A reference to the tenant's adapter (fetched and composed on a miss); the caller releases it. */
    public ServedAdapter acquire(String tenant, String adapterId) {
        InferenceEngine e = engine();
        try {
            AdapterCache c = cache();
            // a bank-referencing adapter is cached packed; its published bank (content-addressed by sha256, checked
            // against the tenant's banks when the adapter was stored) is fetched only when the cache does not hold it
            return c.get(tenant + "/" + adapterId, key -> {
                ArtifactFetcher.Fetched f = fetcher.adapter(tenant, adapterId);
                try {
                    return ServedAdapter.load(e.manager(), adapterId, f.sha256(), f.bytes(),
                            ref -> fetcher.vectorBank(tenant, ref.id()).bytes(), c.banks());
                } catch (IllegalArgumentException bad) {
                    throw new Invalid("unsupported_adapter", "adapter " + adapterId + " cannot be served: "
                            + bad.getMessage(), "adapter");
                }
            });
        } catch (RuntimeException ex) {
            throw ex;
        } catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    public BaseModel baseModel(String id) {
        return BaseModels.find(id).orElseThrow(() -> new NotFound("not_found", "no base model '" + id
                + "'; known: " + BaseModels.all().stream().map(BaseModel::id).toList(), "model"));
    }

    public synchronized AdapterCache.Stats cacheStats() {
        return cache == null ? new AdapterCache.Stats(0, 0, config.cacheBytes(), 0, 0, 0) : cache.stats();
    }

    synchronized void stop(@Observes ShutdownEvent ignored) {
        if (engine != null) {
            cache.close();
            engine.close();
            tuner.close();
            engine = null;
        }
    }
}

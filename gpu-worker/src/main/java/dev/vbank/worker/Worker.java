package dev.vbank.worker;

import dev.vbank.worker.kafka.CancelRegistry;
import dev.vbank.worker.kafka.ControlConsumer;
import dev.vbank.worker.kafka.DispatchConsumer;
import dev.vbank.worker.train.JobRunner;
import dev.vbank.worker.train.TrainingEngine;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;

/** Starts the dispatch and control consumers at start; at shutdown stops the running job (checkpointed) first. */
@ApplicationScoped
public class Worker {

    private final WorkerConfig config;
    private final WorkerIdentity identity;
    private final JobRunner runner;
    private final CancelRegistry cancels;
    private final TrainingEngine engine;
    private final String bootstrapServers;
    private DispatchConsumer dispatch;
    private ControlConsumer control;
    private Thread dispatchThread;
    private Thread controlThread;

    public Worker(WorkerConfig config, WorkerIdentity identity, JobRunner runner, CancelRegistry cancels,
                  TrainingEngine engine, @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.config = config;
        this.identity = identity;
        this.runner = runner;
        this.cancels = cancels;
        this.engine = engine;
        this.bootstrapServers = bootstrapServers;
    }

    void start(@Observes StartupEvent ignored) {
        if (!config.consume()) {
            return;
        }
        control = new ControlConsumer(bootstrapServers, identity.id(), cancels, config.kafka().controlLookback());
        controlThread = new Thread(control, "gpu-worker-control");
        controlThread.setDaemon(true);
        controlThread.start();
        dispatch = new DispatchConsumer(bootstrapServers, identity.id(), config, runner);
        dispatchThread = new Thread(dispatch, "gpu-worker-dispatch");
        dispatchThread.setDaemon(true);
        dispatchThread.start();
    }

    void stop(@Observes ShutdownEvent ignored) throws InterruptedException {
        if (dispatch != null) {
            dispatch.stop(Duration.ofSeconds(90));
            dispatchThread.join(10_000);
        }
        if (control != null) {
            control.stop();
            controlThread.join(5000);
        }
    }

    public DispatchConsumer dispatch() {
        return dispatch;
    }

    /** Whether both consumer threads run (always true when consuming is off). */
    public boolean alive() {
        return !config.consume() || (dispatchThread.isAlive() && controlThread.isAlive());
    }

    public boolean consuming() {
        return config.consume();
    }
}

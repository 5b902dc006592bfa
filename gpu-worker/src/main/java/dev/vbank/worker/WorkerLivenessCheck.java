package dev.vbank.worker;

import dev.vbank.worker.train.TrainingEngine;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/** Down when a consumer thread died: the worker would take no jobs or see no cancels, and should be restarted. */
@Liveness
@ApplicationScoped
public class WorkerLivenessCheck implements HealthCheck {

    static final String NAME = "Training worker";

    private final Worker worker;
    private final WorkerIdentity identity;
    private final TrainingEngine engine;

    public WorkerLivenessCheck(Worker worker, WorkerIdentity identity, TrainingEngine engine) {
        this.worker = worker;
        this.identity = identity;
        this.engine = engine;
    }

    @Override
    public HealthCheckResponse call() {
        var r = HealthCheckResponse.named(NAME).withData("worker", identity.id())
                .withData("device", String.valueOf(engine.device())).withData("consuming", worker.consuming());
        if (worker.consuming()) {
            String job = worker.dispatch().currentJob();
            r.withData("job", job == null ? "" : job).withData("jobs_started", worker.dispatch().started());
        }
        return r.status(worker.alive()).build();
    }
}

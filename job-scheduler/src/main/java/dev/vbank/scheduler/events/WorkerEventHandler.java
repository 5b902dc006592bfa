package dev.vbank.scheduler.events;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.command.WorkerEvent;
import dev.vbank.common.event.JobEvent;
import dev.vbank.common.job.JobStatus;
import dev.vbank.common.json.Json;
import dev.vbank.scheduler.SchedulerConfig;
import dev.vbank.scheduler.Wakeups;
import dev.vbank.scheduler.eval.ArtifactLookup;
import dev.vbank.scheduler.eval.EvaluationService;
import dev.vbank.scheduler.jobs.JobRow;
import dev.vbank.scheduler.jobs.JobStore;
import dev.vbank.service.db.Db;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Applies one {@link WorkerEvent} in one transaction. Event data keys the scheduler reads: {@code step} (steps trained so
 * far), {@code estimated_finish} (Unix seconds); checkpoints: {@code step}, {@code object_key}, {@code bytes},
 * {@code sha256}; success: {@code adapter_id} (of an evaluation item: {@code evaluation}, an
 * {@link dev.vbank.common.eval.EvaluationOutcome}); evaluation progress: {@code tasks_done}; failure: {@code error_code} (default {@code training_failed}),
 * {@code error_param}, with the event message as the error message.
 * <p>
 * Events from a lease the scheduler no longer recognises (another attempt, or a finished job) are dropped. Every other
 * event except heartbeats is stored under its producer id first; a duplicate id means it was applied already.
 * Heartbeats are not stored (they would flood the client-visible log); re-applying one only extends the lease again.
 */
@ApplicationScoped
public class WorkerEventHandler {

    public enum Outcome { APPLIED, DUPLICATE, STALE, UNKNOWN_JOB, REJECTED }

    private static final Logger LOG = Logger.getLogger(WorkerEventHandler.class);

    private final Db db;
    private final JobStore store;
    private final SchedulerConfig config;
    private final MeterRegistry registry;
    private final EvaluationService evaluations;
    private final Wakeups wakeups;

    public WorkerEventHandler(Db db, JobStore store, SchedulerConfig config, MeterRegistry registry,
                              EvaluationService evaluations, Wakeups wakeups) {
        this.wakeups = wakeups;
        this.db = db;
        this.store = store;
        this.config = config;
        this.registry = registry;
        this.evaluations = evaluations;
    }

    public Outcome handle(String json) {
        Outcome outcome;
        try {
            outcome = parseAndApply(json);
        } catch (RuntimeException e) {
            registry.counter("vbank.scheduler.worker.events", "outcome", "error").increment();
            throw e;
        }
        registry.counter("vbank.scheduler.worker.events", "outcome", outcome.name().toLowerCase(java.util.Locale.ROOT))
                .increment();
        return outcome;
    }

    private Outcome parseAndApply(String json) {
        WorkerEvent event;
        try {
            event = Json.mapper().readValue(json, WorkerEvent.class);
        } catch (Exception e) {
            LOG.warnf("dropping an unreadable worker event: %s", e.getMessage());
            return Outcome.REJECTED;
        }
        return handle(event);
    }

    public Outcome handle(WorkerEvent e) {
        Outcome outcome = apply(e);
        if (outcome == Outcome.APPLIED && (e.kind() == WorkerEvent.Kind.SUCCEEDED || e.kind() == WorkerEvent.Kind.FAILED
                || e.kind() == WorkerEvent.Kind.CANCELLED)) {
            wakeups.wake(Wakeups.Loop.DISPATCH); // a worker slot is free
        }
        return outcome;
    }

    private Outcome apply(WorkerEvent e) {
        if (e.jobId() == null || e.kind() == null
                || (e.kind() != WorkerEvent.Kind.HEARTBEAT && (e.event() == null || e.event().id() == null))) {
            LOG.warnf("dropping a worker event without job id, kind or event id: %s", e);
            return Outcome.REJECTED;
        }
        // the adapter an auto-evaluation will score is read over HTTP before the transaction opens
        Optional<ArtifactLookup.Adapter> autoEvaluated = Optional.empty();
        if (e.kind() == WorkerEvent.Kind.SUCCEEDED) {
            Optional<JobRow> current = db.tx(c -> store.lockless(c, e.jobId()));
            if (current.isPresent()) {
                autoEvaluated = evaluations.adapterForAutoEvaluation(current.get(),
                        stringValue(e.event().data().get("adapter_id")));
            }
        }
        Optional<ArtifactLookup.Adapter> adapter = autoEvaluated;
        return db.tx(c -> {
            Optional<JobRow> locked = store.lock(c, e.jobId());
            if (locked.isEmpty()) {
                return Outcome.UNKNOWN_JOB;
            }
            JobRow job = locked.get();
            if (job.leaseToken() == null || !job.leaseToken().equals(e.leaseToken()) || job.attempt() != e.attempt()) {
                return Outcome.STALE;
            }
            JobEvent ev = e.event();
            Map<String, Object> data = ev == null ? Map.of() : ev.data();
            if (e.kind() != WorkerEvent.Kind.HEARTBEAT) {
                Instant at = ev.createdAt() > 0 ? Instant.ofEpochSecond(ev.createdAt()) : null;
                boolean inserted = store.appendEvent(c, ev.id(), job.id(), at,
                        Objects.requireNonNullElse(ev.level(), dev.vbank.common.event.EventLevel.INFO),
                        Objects.requireNonNullElse(ev.type(), dev.vbank.common.event.EventType.MESSAGE),
                        Objects.requireNonNullElse(ev.message(), e.kind().name().toLowerCase(java.util.Locale.ROOT)), data);
                if (!inserted) {
                    return Outcome.DUPLICATE;
                }
            }
            Long step = longValue(data.get("step"));
            Long finish = longValue(data.get("estimated_finish"));
            try (PreparedStatement ps = c.prepareStatement("""
                    update scheduler.jobs set lease_expires_at = clock_timestamp() + ? * interval '1 millisecond',
                        lease_owner = coalesce(?, lease_owner),
                        trained_steps = greatest(trained_steps, coalesce(?, trained_steps)),
                        estimated_finish = coalesce(?, estimated_finish)
                    where id = ?""")) {
                ps.setLong(1, config.lease().toMillis());
                ps.setString(2, e.workerId());
                ps.setObject(3, step);
                ps.setTimestamp(4, finish == null ? null : Timestamp.from(Instant.ofEpochSecond(finish)));
                ps.setString(5, job.id());
                ps.executeUpdate();
            }
            switch (e.kind()) {
                case CHECKPOINT_UPLOADED -> {
                    String key = stringValue(data.get("object_key"));
                    if (step == null || key == null) {
                        LOG.warnf("checkpoint event %s of %s lacks step or object_key", ev.id(), job.id());
                    } else {
                        store.addCheckpoint(c, job.id(), step, key,
                                Objects.requireNonNullElse(longValue(data.get("bytes")), 0L),
                                Objects.requireNonNullElse(stringValue(data.get("sha256")), ""));
                    }
                }
                case SUCCEEDED -> {
                    if (job.isEvaluationItem()) {
                        applied(evaluations.applySucceeded(c, job, data), e, job);
                    } else {
                        Optional<JobRow> succeeded = store.transition(c, job.id(), null, null, JobStatus.SUCCEEDED,
                                JobStore.Sets.none().set("adapter_id", stringValue(data.get("adapter_id"))),
                                "Job succeeded" + (data.get("adapter_id") != null ? "; adapter " + data.get("adapter_id")
                                        : ""));
                        applied(succeeded, e, job);
                        if (succeeded.isPresent() && adapter.isPresent()) {
                            evaluations.createForSucceededJob(c, succeeded.get(), adapter.get())
                                    .ifPresent(id -> LOG.infof("job %s succeeded: created evaluation %s", job.id(), id));
                        }
                    }
                }
                case PROGRESS -> {
                    if (job.isEvaluationItem()) {
                        evaluations.applyProgress(c, job, data);
                    }
                }
                case FAILED -> {
                    String code = Objects.requireNonNullElse(stringValue(data.get("error_code")), "training_failed");
                    String message = Objects.requireNonNullElse(ev.message(), "training failed");
                    applied(store.transition(c, job.id(), null, null, JobStatus.FAILED,
                            JobStore.Sets.none().error(code, message, stringValue(data.get("error_param"))),
                            "Job failed: " + message), e, job);
                }
                case CANCELLED -> applied(store.transition(c, job.id(), null, null, JobStatus.CANCELLED,
                        JobStore.Sets.none(), "Job cancelled"), e, job);
                default -> {
                }
            }
            return Outcome.APPLIED;
        });
    }

    private static void applied(Optional<JobRow> result, WorkerEvent e, JobRow job) {
        if (result.isEmpty()) {
            LOG.warnf("worker event %s (%s) does not apply to %s in status %s", e.event().id(), e.kind(), job.id(),
                    job.status());
        }
    }

    static Long longValue(Object v) {
        if (v instanceof Number n) {
            return n.longValue();
        }
        if (v instanceof String s) {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException ignored) {
                return null;
            }
        }
        return null;
    }

    static String stringValue(Object v) {
        return v == null ? null : v instanceof JsonNode n ? n.asText() : v.toString();
    }
}

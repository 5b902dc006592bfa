package dev.vbank.scheduler.jobs;

import dev.vbank.common.command.CancelJob;
import dev.vbank.common.job.JobStatus;
import dev.vbank.common.kafka.Topics;
import dev.vbank.scheduler.SchedulerConfig;
import dev.vbank.scheduler.Wakeups;
import dev.vbank.scheduler.eval.EvaluationErrors;
import dev.vbank.scheduler.eval.EvaluationStore;
import dev.vbank.service.db.Db;
import dev.vbank.service.error.Conflict;
import dev.vbank.service.error.NotFound;
import jakarta.enterprise.context.ApplicationScoped;

import java.security.SecureRandom;
import java.util.Map;
import java.util.Optional;

/** Creating and cancelling jobs: the transactions behind the internal API's writes. */
@ApplicationScoped
public class JobService {

    public record Created(JobRow job, boolean replayed) {
    }

    private static final SecureRandom SEEDS = new SecureRandom();

    public static NotFound jobNotFound(String id) {
        return new NotFound("job_not_found", "no fine-tuning job " + id, "id");
    }

    private final Db db;
    private final JobStore store;
    private final SchedulerConfig config;
    private final EvaluationStore evaluations;
    private final Wakeups wakeups;
    private final JobQuota quota;

    public JobService(Db db, JobStore store, SchedulerConfig config, EvaluationStore evaluations, Wakeups wakeups,
                      JobQuota quota) {
        this.db = db;
        this.store = store;
        this.config = config;
        this.evaluations = evaluations;
        this.wakeups = wakeups;
        this.quota = quota;
    }

    /**
     * Creates a job in {@code validating_files}. With an idempotency key, a repeat of the same request returns the job the
     * first one created, and a different request under the same key is a 409. A new job is admitted under the tenant's
     * {@code limits} in the same transaction (429 when it has no room); a replay is never refused by them.
     */
    public Created create(String tenant, NewJob request, String idempotencyKey, JobQuota.Limits limits) {
        String hash = request.hash();
        Created created = db.tx(c -> {
            quota.lock(c, tenant, limits);
            if (idempotencyKey != null) {
                Optional<JobRow> existing = store.findByIdempotencyKey(c, tenant, idempotencyKey);
                if (existing.isPresent()) {
                    return replay(existing.get(), hash);
                }
            }
            quota.check(c, tenant, limits);
            long seed = request.seed() != null ? request.seed() : SEEDS.nextInt(Integer.MAX_VALUE);
            Map<String, Object> evaluation = null;
            if (request.evaluation() != null) {
                // pinned now: a later version of the suite does not change what this job asked for
                EvaluationStore.SuiteRow suite = evaluations.resolve(c, tenant, request.evaluation().suite())
                        .orElseThrow(() -> EvaluationErrors.suiteNotFound(request.evaluation().suite(), "evaluation.suite"));
                evaluation = Map.of("suite_id", suite.id(), "baselines", request.evaluation().baselines(),
                        "metadata", request.evaluation().metadata());
            }
            Optional<JobRow> inserted = store.insert(c, Ids.job(), tenant, request, seed, config.maxAttempts(),
                    idempotencyKey, idempotencyKey == null ? null : hash, evaluation);
            if (inserted.isEmpty()) {
                // a concurrent request with the same key won the insert; read what it wrote (visible once it committed)
                return replay(store.findByIdempotencyKey(c, tenant, idempotencyKey).orElseThrow(), hash);
            }
            store.appendStateEvent(c, inserted.get(), "Created fine-tuning job " + inserted.get().id()
                    + "; validating files");
            return new Created(inserted.get(), false);
        });
        if (!created.replayed()) {
            wakeups.wake(Wakeups.Loop.VALIDATE);
        }
        return created;
    }

    private static Created replay(JobRow existing, String hash) {
        if (!hash.equals(existing.requestHash())) {
            throw new Conflict("idempotency_key_reused",
                    "this Idempotency-Key was already used with a different request body", "Idempotency-Key");
        }
        return new Created(existing, true);
    }

    /**
     * A job that has not started is cancelled at once; a running one goes to {@code cancelling} and its worker is told
     * through {@code vbank.jobs.control} (via the outbox); cancelling twice is harmless.
     */
    public JobRow cancel(String tenant, String jobId) {
        JobRow result = db.tx(c -> {
            JobRow job = store.find(c, tenant, jobId).orElseThrow(() -> JobService.jobNotFound(jobId));
            job = store.lock(c, job.id()).orElseThrow();
            if (job.status().isTerminal()) {
                throw new Conflict("job_not_cancellable",
                        "job " + job.id() + " is already " + job.status().wireName(), null);
            }
            return cancelLocked(c, job);
        });
        if (result.status() == JobStatus.CANCELLING) {
            wakeups.wake(Wakeups.Loop.PUBLISH);
        }
        return result;
    }

    /** Cancels a job (or evaluation item) the caller has locked and that is not terminal. */
    public JobRow cancelLocked(java.sql.Connection c, JobRow job) throws java.sql.SQLException {
        switch (job.status()) {
            case VALIDATING_FILES, QUEUED -> {
                return store.transition(c, job.id(), job.status(), job.version(), JobStatus.CANCELLED,
                        JobStore.Sets.none(), "Job cancelled before it started").orElseThrow();
            }
            case RUNNING -> {
                JobRow cancelling = store.transition(c, job.id(), JobStatus.RUNNING, job.version(),
                        JobStatus.CANCELLING, JobStore.Sets.none(),
                        "Cancellation requested; waiting for the worker to stop").orElseThrow();
                store.enqueue(c, Topics.JOB_CONTROL, job.id(),
                        new CancelJob(job.id(), job.attempt(), "cancelled by the user"));
                return cancelling;
            }
            default -> {
                return job;
            }
        }
    }
}

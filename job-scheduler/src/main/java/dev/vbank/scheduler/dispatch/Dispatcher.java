package dev.vbank.scheduler.dispatch;

import dev.vbank.claim.ClaimQuery;
import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.eval.EvaluationWork;
import dev.vbank.common.job.Method;
import dev.vbank.common.kafka.Topics;
import dev.vbank.scheduler.SchedulerConfig;
import dev.vbank.scheduler.Wakeups;
import dev.vbank.scheduler.eval.EvaluationStore;
import dev.vbank.scheduler.jobs.JobRow;
import dev.vbank.scheduler.jobs.JobStore;
import dev.vbank.service.db.Db;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * Moves queued jobs to running and writes their {@link DispatchJob} into the outbox in the same transaction.
 * <p>
 * Capacity: {@code max-running} is the number of worker slots. A round first takes a transaction-scoped advisory lock, so
 * that concurrent scheduler replicas dispatch one after the other, then counts the running and cancelling jobs (a
 * cancelling job still occupies its worker) and claims at most the free slots with {@link ClaimQuery}. Fair share: every
 * queued job gets its tenant's running count plus its rank among that tenant's queued jobs (oldest first) — the number of
 * jobs the tenant would be running if it were dispatched; jobs are taken in increasing order of that number, then by age,
 * and none whose number exceeds the per-tenant cap.
 */
@ApplicationScoped
public class Dispatcher {

    private static final Logger LOG = Logger.getLogger(Dispatcher.class);

    private final Db db;
    private final JobStore store;
    private final SchedulerConfig config;
    private final Counter dispatched;
    private final EvaluationStore evaluations;
    private final Wakeups wakeups;

    public Dispatcher(Db db, JobStore store, SchedulerConfig config, MeterRegistry registry, EvaluationStore evaluations,
                      Wakeups wakeups) {
        this.wakeups = wakeups;
        this.db = db;
        this.store = store;
        this.config = config;
        this.evaluations = evaluations;
        this.dispatched = Counter.builder("vbank.scheduler.dispatched").description("job attempts dispatched")
                .register(registry);
    }

    /** One dispatch round; returns the claimed jobs in fair-share order. */
    public List<JobRow> dispatchOnce() {
        List<JobRow> claimed = db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select pg_advisory_xact_lock(?)")) {
                ps.setLong(1, ClaimQuery.DISPATCH_LOCK);
                ps.execute();
            }
            int free = config.maxRunning() - activeCount(c);
            if (free <= 0) {
                return List.<JobRow>of();
            }
            List<JobRow> jobs = claim(c, Math.min(free, config.batchSize()));
            for (JobRow job : jobs) {
                store.enqueue(c, Topics.JOB_DISPATCH, job.id(), command(c, job));
                store.appendStateEvent(c, job, "Dispatched attempt " + job.attempt() + " of " + job.maxAttempts()
                        + (job.lastCheckpointKey() != null ? ", resuming from step " + job.lastCheckpointStep() : ""));
            }
            return jobs;
        });
        if (!claimed.isEmpty()) {
            dispatched.increment(claimed.size());
            wakeups.wake(Wakeups.Loop.PUBLISH);
            LOG.debugf("dispatched %d job(s)", claimed.size());
        }
        return claimed;
    }

    private List<JobRow> claim(Connection c, int limit) throws SQLException {
        return ClaimQuery.claim(c, config.tenantMaxRunning(), limit, config.lease().toMillis(), JobRow::read).stream()
                .map(ClaimQuery.Claimed::job).toList();
    }

    private static int activeCount(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "select count(*) from scheduler.jobs where status in ('running', 'cancelling')");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /**
     * The record a worker gets. An evaluation item carries its {@link EvaluationWork} (the suite pinned to the evaluation's
     * version); its model is the adapter's base model, and a head-only baseline item also carries the adapter job's training
     * file, seed and (head-only) hyperparameters, which its row holds.
     */
    DispatchJob command(Connection c, JobRow job) throws SQLException {
        Method method = job.methodType() == null ? null : new Method(job.methodType(), job.hyperparameters());
        EvaluationWork evaluation = null;
        if (job.isEvaluationItem()) {
            EvaluationStore.ItemRow item = evaluations.item(c, job.id()).orElseThrow();
            String suiteId;
            try (PreparedStatement ps = c.prepareStatement("select suite_id from scheduler.evaluations where id = ?")) {
                ps.setString(1, item.evaluationId());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    suiteId = rs.getString(1);
                }
            }
            evaluation = new EvaluationWork(item.evaluationId(), item.subject(), item.adapterId(), item.subjectSha256(),
                    evaluations.suite(c, job.tenantId(), suiteId).orElseThrow().toSuite());
        }
        return new DispatchJob(job.id(), job.tenantId(), job.attempt(), job.leaseToken(), config.lease().toSeconds(),
                job.model(), job.trainingFile(), job.validationFile(), method, job.seed(), job.lastCheckpointKey(),
                evaluation);
    }
}

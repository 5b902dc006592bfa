package dev.vbank.scheduler.dispatch;

import dev.vbank.common.job.JobStatus;
import dev.vbank.scheduler.jobs.JobRow;
import dev.vbank.scheduler.jobs.JobStore;
import dev.vbank.service.db.Db;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/**
 * Takes back jobs whose lease expired (their worker stopped heartbeating): a running job is requeued as the next attempt,
 * resuming from its last checkpoint, or fails with {@code max_attempts_exceeded} after its last attempt; a cancelling job
 * is cancelled, since nobody is left to stop. An attempt no worker ever reported on (it waited for a free worker longer
 * than its lease) is queued again as the same attempt.
 */
@ApplicationScoped
public class LeaseReaper {

    private static final Logger LOG = Logger.getLogger(LeaseReaper.class);

    private final Db db;
    private final JobStore store;
    private final MeterRegistry registry;

    public LeaseReaper(Db db, JobStore store, MeterRegistry registry) {
        this.db = db;
        this.store = store;
        this.registry = registry;
    }

    /**
     * Gives every running or cancelling attempt at least one more lease period from now; called when the scheduler
     * hears worker events again after it could not (a broker, database or scheduler outage), so that heartbeats sent
     * meanwhile can arrive before any lease is judged. Returns how many leases it extended.
     */
    public int extendRunningLeases(java.time.Duration lease) {
        int n = db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    update scheduler.jobs set lease_expires_at = greatest(lease_expires_at,
                        clock_timestamp() + ? * interval '1 millisecond')
                    where status in ('running', 'cancelling')""")) {
                ps.setLong(1, lease.toMillis());
                return ps.executeUpdate();
            }
        });
        if (n > 0) {
            LOG.infof("worker events are heard again: %d running lease(s) extended by %s", n, lease);
        }
        return n;
    }

    /** One round over every expired lease; returns the jobs it changed, as they are now. */
    public List<JobRow> reapOnce() {
        return reapOnce(id -> true);
    }

    /**
     * One round over the expired leases of the jobs {@code judged} accepts (those whose worker events this scheduler
     * hears); returns the jobs it changed, as they are now.
     */
    public List<JobRow> reapOnce(java.util.function.Predicate<String> judged) {
        return db.tx(c -> {
            List<JobRow> expired = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("""
                    select * from scheduler.jobs where status in ('running', 'cancelling')
                    and lease_expires_at < clock_timestamp() order by lease_expires_at limit 1000
                    for update skip locked""");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    JobRow row = JobRow.read(rs);
                    if (judged.test(row.id())) {
                        expired.add(row);
                    }
                }
            }
            List<JobRow> changed = new ArrayList<>();
            for (JobRow job : expired) {
                JobRow after;
                if (job.status() == JobStatus.CANCELLING) {
                    after = store.transition(c, job.id(), JobStatus.CANCELLING, job.version(), JobStatus.CANCELLED,
                            JobStore.Sets.none(), "Worker lease expired while cancelling; job cancelled").orElseThrow();
                } else if (job.leaseOwner() == null) {
                    // no worker ever reported on this attempt: it waited in Kafka behind busy workers, so it is
                    // dispatched again under a new lease without using up an attempt (a worker skips the old record)
                    after = store.transition(c, job.id(), JobStatus.RUNNING, job.version(), JobStatus.QUEUED,
                            JobStore.Sets.none(), "Attempt " + job.attempt() + " was not picked up by a worker within "
                                    + "its lease (all busy); queued again without counting it").orElseThrow();
                } else if (job.attempt() >= job.maxAttempts()) {
                    String message = "The worker running attempt " + job.attempt() + " of " + job.maxAttempts()
                            + " stopped reporting (lease expired); no attempts left";
                    after = store.transition(c, job.id(), JobStatus.RUNNING, job.version(), JobStatus.FAILED,
                            JobStore.Sets.none().error("max_attempts_exceeded", message, null), message).orElseThrow();
                } else {
                    after = store.transition(c, job.id(), JobStatus.RUNNING, job.version(), JobStatus.QUEUED,
                            JobStore.Sets.none().raw("attempt = attempt + 1"),
                            "Lease of attempt " + job.attempt() + " expired; requeued as attempt " + (job.attempt() + 1)
                                    + (job.lastCheckpointStep() != null
                                    ? ", resuming from step " + job.lastCheckpointStep() : ", starting over"))
                            .orElseThrow();
                }
                changed.add(after);
                registry.counter("vbank.scheduler.leases.expired", "outcome", after.status().wireName()).increment();
                LOG.infof("lease of %s (attempt %d) expired: now %s", job.id(), job.attempt(), after.status());
            }
            return changed;
        });
    }
}

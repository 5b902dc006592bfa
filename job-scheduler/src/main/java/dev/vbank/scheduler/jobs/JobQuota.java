package dev.vbank.scheduler.jobs;

import dev.vbank.common.job.JobLimitHeaders;
import dev.vbank.service.error.Invalid;
import dev.vbank.service.rest.ApiException;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * The tenant job quotas, checked inside the transaction that creates a fine-tuning job or an evaluation. The gateway owns
 * the limits (tenant overrides over its defaults) and sends them with the internal create as the headers
 * {@link #MAX_QUEUED_HEADER} and {@link #MAX_RUNNING_HEADER}; the scheduler owns the counts. A transaction-scoped advisory
 * lock per tenant serializes the check and the insert, so concurrent creates cannot both slip under a limit, and it is
 * released at commit: no lock outlives the transaction or spans a network call.
 */
@ApplicationScoped
public class JobQuota {

    public static final String MAX_QUEUED_HEADER = JobLimitHeaders.MAX_QUEUED_JOBS;
    public static final String MAX_RUNNING_HEADER = JobLimitHeaders.MAX_RUNNING_JOBS;

    /** The limits a create is admitted under; a null limit is not checked (an internal caller that sends none). */
    public record Limits(Integer maxQueued, Integer maxRunning) {
        public static final Limits NONE = new Limits(null, null);

        /** The limits from the two headers' values (absent: null); anything but an integer from 0 is a 400. */
        public static Limits of(String maxQueued, String maxRunning) {
            return new Limits(parse(MAX_QUEUED_HEADER, maxQueued), parse(MAX_RUNNING_HEADER, maxRunning));
        }

        public boolean none() {
            return maxQueued == null && maxRunning == null;
        }

        private static Integer parse(String header, String raw) {
            if (raw == null) {
                return null;
            }
            try {
                int value = Integer.parseInt(raw.strip());
                if (value >= 0) {
                    return value;
                }
            } catch (NumberFormatException ignored) {
                // answered below
            }
            throw Invalid.of(header, header + " must be an integer from 0, was '"
                    + (raw.length() > 32 ? raw.substring(0, 32) + "…" : raw) + "'");
        }
    }

    private final JobStore store;

    public JobQuota(JobStore store) {
        this.store = store;
    }

    /**
     * Takes the tenant's admission lock for the rest of the caller's transaction (nothing when there are no limits). Taken
     * before the caller looks up its idempotency key, so a replay of a job that a concurrent request just created finds it.
     */
    public void lock(Connection c, String tenant, Limits limits) throws SQLException {
        if (limits.none()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("select pg_advisory_xact_lock(hashtextextended(?, 0))")) {
            ps.setString(1, "jobs:" + tenant);
            ps.execute();
        }
    }

    /**
     * Refuses (429 {@code quota_exceeded}, {@code param} the quota's name) when the tenant has no room for one more job:
     * its fine-tuning jobs waiting to start and running, counted as {@code GET .../jobs/counts} counts them.
     */
    public void check(Connection c, String tenant, Limits limits) throws SQLException {
        if (limits.none()) {
            return;
        }
        JobStore.OpenCounts counts = store.openCounts(c, tenant);
        if (limits.maxQueued() != null && counts.queued() >= limits.maxQueued()) {
            throw exceeded("max_queued_jobs", "the tenant has " + counts.queued() + " jobs waiting to start (limit "
                    + limits.maxQueued() + "); wait for some to start or cancel them");
        }
        if (limits.maxRunning() != null && counts.running() >= limits.maxRunning()) {
            throw exceeded("max_running_jobs", "the tenant has " + counts.running() + " running jobs (limit "
                    + limits.maxRunning() + "); new jobs are accepted once one finishes");
        }
    }

    private static ApiException exceeded(String quota, String message) {
        return new ApiException(429, "quota_exceeded", "quota " + quota + " exceeded: " + message, quota);
    }
}

package dev.vbank.gateway.quota;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.gateway.GatewayConfig;
import dev.vbank.gateway.downstream.Downstream;
import dev.vbank.gateway.downstream.SchedulerClient;
import dev.vbank.gateway.tenants.Tenant;
import dev.vbank.service.artifacts.ArtifactServiceClient;
import dev.vbank.service.rest.ApiException;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.rest.client.inject.RestClient;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Per-tenant quotas. The gateway keeps no counters: it asks the owners (the scheduler's job counts, the artifact-service's
 * file list) at admission, so the numbers cannot drift from the truth. Admissions of one tenant are serialized by a
 * PostgreSQL advisory lock, so concurrent requests (on any gateway instance) cannot both slip under a limit.
 */
@ApplicationScoped
public class QuotaGuard {

    /** Pages of 100 files read at most per count; a tenant past that is counted as at least what was read. */
    static final int MAX_PAGES = 50;

    public record JobCounts(int queued, int running) {
    }

    private final GatewayConfig.Quotas defaults;
    private final SchedulerClient scheduler;
    private final ArtifactServiceClient artifacts;
    private final DataSource dataSource;

    public QuotaGuard(GatewayConfig config, @RestClient SchedulerClient scheduler, @RestClient ArtifactServiceClient artifacts,
                      DataSource dataSource) {
        this.defaults = config.quotas();
        this.scheduler = scheduler;
        this.artifacts = artifacts;
        this.dataSource = dataSource;
    }

    /** Runs {@code create} when the tenant has room for one more job. */
    public <T> T admitJob(Tenant tenant, Supplier<T> create) {
        return locked("jobs:" + tenant.id(), () -> {
            JobCounts counts = jobCounts(tenant.id());
            int maxQueued = or(tenant.overrides().maxQueuedJobs(), defaults.maxQueuedJobs());
            int maxRunning = or(tenant.overrides().maxRunningJobs(), defaults.maxRunningJobs());
            if (counts.queued() >= maxQueued) {
                throw exceeded("max_queued_jobs", "the tenant has " + counts.queued() + " jobs waiting to start (limit "
                        + maxQueued + "); wait for some to start or cancel them");
            }
            if (counts.running() >= maxRunning) {
                throw exceeded("max_running_jobs", "the tenant has " + counts.running() + " running jobs (limit "
                        + maxRunning + "); new jobs are accepted once one finishes");
            }
            return create.get();
        });
    }

    /** Runs {@code upload} when the tenant's stored files plus {@code incoming} bytes stay within its storage quota. */
    public <T> T admitUpload(Tenant tenant, long incoming, Supplier<T> upload) {
        return locked("bytes:" + tenant.id(), () -> {
            long max = or(tenant.overrides().maxStoredBytes(), defaults.maxStoredBytes());
            long used = storedBytes(tenant.id());
            if (used + Math.max(0, incoming) > max || used >= max) {
                throw exceeded("max_stored_bytes", "the tenant stores " + used + " bytes of files (limit " + max
                        + ")" + (incoming > 0 ? " and this upload has " + incoming : "") + "; delete files first");
            }
            return upload.get();
        });
    }

    public long maxStoredBytes(Tenant tenant) {
        return or(tenant.overrides().maxStoredBytes(), defaults.maxStoredBytes());
    }

    JobCounts jobCounts(String tenant) {
        JsonNode body = Downstream.fetch("job-scheduler", () -> scheduler.counts(tenant)).orRelay().json("job-scheduler");
        return new JobCounts(body.path("queued").asInt(), body.path("running").asInt());
    }

    long storedBytes(String tenant) {
        long bytes = 0;
        String after = null;
        for (int page = 0; page < MAX_PAGES; page++) {
            Map<String, String> query = new LinkedHashMap<>();
            query.put("limit", "100");
            if (after != null) {
                query.put("after", after);
            }
            JsonNode body = Downstream.fetch("artifact-service", () -> artifacts.files(tenant, query)).orRelay()
                    .json("artifact-service");
            for (JsonNode file : body.path("data")) {
                bytes += file.path("bytes").asLong(0);
                after = file.path("id").asText();
            }
            if (!body.path("has_more").asBoolean(false) || after == null) {
                break;
            }
        }
        return bytes;
    }

    private <T> T locked(String key, Supplier<T> action) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            lock(c, "select pg_advisory_lock(hashtextextended(?, 0))", key);
            try {
                return action.get();
            } finally {
                lock(c, "select pg_advisory_unlock(hashtextextended(?, 0))", key);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void lock(Connection c, String sql, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, key);
            ps.execute();
        }
    }

    private static ApiException exceeded(String quota, String message) {
        return new ApiException(429, "quota_exceeded", "quota " + quota + " exceeded: " + message, quota);
    }

    private static <N> N or(N override, N fallback) {
        return override != null ? override : fallback;
    }
}

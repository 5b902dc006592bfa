package dev.vbank.gateway.quota;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.gateway.GatewayConfig;
import dev.vbank.gateway.downstream.Downstream;
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
 * Per-tenant quotas. The gateway keeps no counters. Job quotas (fine-tuning jobs and evaluations) are enforced by the
 * job-scheduler inside its create transaction: the gateway only computes the tenant's limits ({@link #jobLimits}) and
 * sends them with the create. The storage quota is checked here by asking the artifact-service for the tenant's files,
 * with uploads of one tenant serialized by a PostgreSQL advisory lock so concurrent uploads (on any gateway instance)
 * cannot both slip under the limit.
 */
@ApplicationScoped
public class QuotaGuard {

    /** Pages of 100 files read at most per count; a tenant past that is counted as at least what was read. */
    static final int MAX_PAGES = 50;

    /** What the scheduler admits a tenant's new fine-tuning job or evaluation under. */
    public record JobLimits(int maxQueued, int maxRunning) {
    }

    private final GatewayConfig.Quotas defaults;
    private final ArtifactServiceClient artifacts;
    private final DataSource dataSource;

    public QuotaGuard(GatewayConfig config, @RestClient ArtifactServiceClient artifacts, DataSource dataSource) {
        this.defaults = config.quotas();
        this.artifacts = artifacts;
        this.dataSource = dataSource;
    }

    /** The tenant's job limits: its overrides, else the defaults. The scheduler checks them when it creates a job. */
    public JobLimits jobLimits(Tenant tenant) {
        return new JobLimits(or(tenant.overrides().maxQueuedJobs(), defaults.maxQueuedJobs()),
                or(tenant.overrides().maxRunningJobs(), defaults.maxRunningJobs()));
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

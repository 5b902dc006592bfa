package dev.vbank.gateway.tenants;

import java.time.Instant;

/** A tenant and its quota overrides (null: the configured default). */
public record Tenant(String id, String name, Instant createdAt, Quotas overrides) {

    public record Quotas(Integer maxQueuedJobs, Integer maxRunningJobs, Long maxStoredBytes, Double requestsPerSecond,
                         Integer burst) {
        public static final Quotas NONE = new Quotas(null, null, null, null, null);
    }
}

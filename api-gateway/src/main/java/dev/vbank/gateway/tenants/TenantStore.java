package dev.vbank.gateway.tenants;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.vbank.gateway.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Optional;

/**
 * {@code gateway.tenants} and {@code gateway.api_keys}. The tenant of a key is kept for {@code vbank.auth.key-cache-ttl}
 * after a lookup (unknown keys are not kept); revoking a key or changing quotas here drops the tenant's entries at once.
 */
@ApplicationScoped
public class TenantStore {

    public record Created(Tenant tenant, String keyId) {
    }

    private final DataSource dataSource;
    private final Cache<String, Tenant> byKey;

    public TenantStore(DataSource dataSource, GatewayConfig config) {
        this.dataSource = dataSource;
        this.byKey = Caffeine.newBuilder().expireAfterWrite(config.auth().keyCacheTtl()).maximumSize(100_000).build();
    }

    private void forget(String tenantId) {
        byKey.asMap().values().removeIf(t -> t.id().equals(tenantId));
    }

    public Created create(String name, Tenant.Quotas quotas, String keySha256) {
        String id = ApiKeys.newId("tenant-");
        String keyId = ApiKeys.newId("key-");
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("insert into gateway.tenants (id, name, max_queued_jobs,"
                        + " max_running_jobs, max_stored_bytes, requests_per_second, burst) values (?, ?, ?, ?, ?, ?, ?)")) {
                    ps.setString(1, id);
                    ps.setString(2, name);
                    setQuotas(ps, 3, quotas);
                    ps.executeUpdate();
                }
                insertKey(c, keyId, id, keySha256);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
            return new Created(find(c, id).orElseThrow(), keyId);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public Optional<String> addKey(String tenantId, String keySha256) {
        try (Connection c = dataSource.getConnection()) {
            if (find(c, tenantId).isEmpty()) {
                return Optional.empty();
            }
            String keyId = ApiKeys.newId("key-");
            insertKey(c, keyId, tenantId, keySha256);
            return Optional.of(keyId);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public boolean revokeKey(String tenantId, String keyId) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "update gateway.api_keys set revoked_at = coalesce(revoked_at, now()) where tenant_id = ? and id = ?")) {
            ps.setString(1, tenantId);
            ps.setString(2, keyId);
            boolean revoked = ps.executeUpdate() == 1;
            forget(tenantId);
            return revoked;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public Optional<Tenant> updateQuotas(String tenantId, Tenant.Quotas quotas) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("update gateway.tenants"
                + " set max_queued_jobs = ?, max_running_jobs = ?, max_stored_bytes = ?, requests_per_second = ?,"
                + " burst = ? where id = ?")) {
            setQuotas(ps, 1, quotas);
            ps.setString(6, tenantId);
            int updated = ps.executeUpdate();
            forget(tenantId);
            if (updated == 0) {
                return Optional.empty();
            }
            return find(c, tenantId);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public Optional<Tenant> find(String tenantId) {
        try (Connection c = dataSource.getConnection()) {
            return find(c, tenantId);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The tenant an unrevoked key belongs to. */
    public Optional<Tenant> findByKey(String keySha256) {
        Tenant cached = byKey.getIfPresent(keySha256);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<Tenant> found = lookUp(keySha256);
        found.ifPresent(t -> byKey.put(keySha256, t));
        return found;
    }

    private Optional<Tenant> lookUp(String keySha256) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "select t.* from gateway.api_keys k join gateway.tenants t on t.id = k.tenant_id"
                        + " where k.key_sha256 = ? and k.revoked_at is null")) {
            ps.setString(1, keySha256);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(tenant(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Optional<Tenant> find(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select * from gateway.tenants where id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(tenant(rs)) : Optional.empty();
            }
        }
    }

    private static void insertKey(Connection c, String keyId, String tenantId, String keySha256) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "insert into gateway.api_keys (id, tenant_id, key_sha256) values (?, ?, ?)")) {
            ps.setString(1, keyId);
            ps.setString(2, tenantId);
            ps.setString(3, keySha256);
            ps.executeUpdate();
        }
    }

    private static void setQuotas(PreparedStatement ps, int first, Tenant.Quotas q) throws SQLException {
        ps.setObject(first, q.maxQueuedJobs(), Types.INTEGER);
        ps.setObject(first + 1, q.maxRunningJobs(), Types.INTEGER);
        ps.setObject(first + 2, q.maxStoredBytes(), Types.BIGINT);
        ps.setObject(first + 3, q.requestsPerSecond(), Types.DOUBLE);
        ps.setObject(first + 4, q.burst(), Types.INTEGER);
    }

    private static Tenant tenant(ResultSet rs) throws SQLException {
        return new Tenant(rs.getString("id"), rs.getString("name"), rs.getTimestamp("created_at").toInstant(),
                new Tenant.Quotas(rs.getObject("max_queued_jobs", Integer.class),
                        rs.getObject("max_running_jobs", Integer.class), rs.getObject("max_stored_bytes", Long.class),
                        rs.getObject("requests_per_second", Double.class), rs.getObject("burst", Integer.class)));
    }
}

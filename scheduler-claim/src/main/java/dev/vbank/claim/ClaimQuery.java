package dev.vbank.claim;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The claim of a dispatch round, as plain JDBC so that the platform benchmark runs exactly the statement the scheduler
 * does, without compiling against the scheduler.
 * <p>
 * Fair share: a queued job's share is its tenant's running (or cancelling) count plus its rank among that tenant's queued
 * jobs, oldest first; jobs are taken in increasing share, then from the tenant whose last dispatch is longest ago (never
 * first), then by age, and none whose share exceeds the per-tenant cap.
 * <p>
 * Only a tenant's first {@code cap} queued jobs can be within the cap, and the best {@code limit} jobs come from at most
 * {@code limit} tenants without running jobs (ordered by last dispatch, then oldest queued job: the trigger-kept
 * {@code scheduler.tenant_queues} and its index) plus the few tenants that have running jobs. So the statement reads
 * {@code limit} index entries of tenants and {@code cap} jobs of each through {@code jobs_queued_idx}, however many jobs
 * and tenants are queued, instead of ranking every queued row.
 */
public final class ClaimQuery {

    /** {@code pg_advisory_xact_lock} key of a dispatch round ("vbdisp"): one round at a time across schedulers. */
    public static final long DISPATCH_LOCK = 0x7662646973700L;

    /** Reads the caller's view of a claimed {@code scheduler.jobs} row. */
    @FunctionalInterface
    public interface RowReader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    public static final String SQL = """
            with running as (
                select tenant_id, count(*) as n from scheduler.jobs
                where status in ('running', 'cancelling') group by tenant_id
            ), idle_tenants as (
                select q.tenant_id, q.last_dispatched_at from scheduler.tenant_queues q
                where q.head_created_at is not null and not exists (select 1 from scheduler.jobs a
                    where a.tenant_id = q.tenant_id and a.status in ('running', 'cancelling'))
                order by q.last_dispatched_at nulls first, q.head_created_at, q.tenant_id limit ?
            ), busy_tenants as (
                select q.tenant_id, q.last_dispatched_at from scheduler.tenant_queues q
                join running r on r.tenant_id = q.tenant_id
                where q.head_created_at is not null and r.n < ?
            ), candidates as (
                select f.id, f.created_at, coalesce(r.n, 0) + f.rank as share, t.last_dispatched_at
                from (select * from idle_tenants union all select * from busy_tenants) t
                left join running r on r.tenant_id = t.tenant_id
                cross join lateral (
                    select j.id, j.created_at, row_number() over (order by j.created_at, j.id) as rank
                    from scheduler.jobs j
                    where j.tenant_id = t.tenant_id and j.status = 'queued'
                    order by j.created_at, j.id limit ?
                ) f
            ), picked as (
                select id, share, last_dispatched_at, created_at from candidates where share <= ?
                order by share, last_dispatched_at nulls first, created_at, id limit ?
            ), locked as (
                select j.id, p.share, p.last_dispatched_at, p.created_at
                from scheduler.jobs j join picked p on p.id = j.id
                where j.status = 'queued' for update of j skip locked
            )
            update scheduler.jobs j set status = 'running', version = j.version + 1,
                lease_token = gen_random_uuid()::text, lease_owner = null,
                lease_expires_at = clock_timestamp() + ? * interval '1 millisecond',
                started_at = coalesce(j.started_at, clock_timestamp())
            from locked where j.id = locked.id
            returning j.*, locked.share as fair_share, locked.last_dispatched_at as tenant_served_at,
                locked.created_at as queued_at""";

    /** A claimed job with the share it was claimed at. */
    public record Claimed<T>(T job, String id, long share, Timestamp tenantServedAt, Timestamp queuedAt) {
    }

    private ClaimQuery() {
    }

    /** Claims at most {@code limit} queued jobs in fair-share order, none past {@code tenantCap} running per tenant. */
    public static <T> List<Claimed<T>> claim(Connection c, int tenantCap, int limit, long leaseMillis, RowReader<T> reader)
            throws SQLException {
        List<Claimed<T>> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(SQL)) {
            bind(ps, tenantCap, limit, leaseMillis);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Claimed<>(reader.read(rs), rs.getString("id"), rs.getLong("fair_share"),
                            rs.getTimestamp("tenant_served_at"), rs.getTimestamp("queued_at")));
                }
            }
        }
        // UPDATE ... RETURNING has no order; restore the fair-share order the claim used
        rows.sort(Comparator.<Claimed<T>>comparingLong(Claimed::share)
                .thenComparing(Claimed::tenantServedAt, Comparator.nullsFirst(Comparator.naturalOrder()))
                .thenComparing(Claimed::queuedAt).thenComparing(Claimed::id));
        return rows;
    }

    /** Binds the parameters of {@link #SQL} (also for an {@code EXPLAIN} of it). */
    public static void bind(PreparedStatement ps, int tenantCap, int limit, long leaseMillis) throws SQLException {
        ps.setInt(1, limit);
        ps.setInt(2, tenantCap);
        ps.setInt(3, tenantCap);
        ps.setInt(4, tenantCap);
        ps.setInt(5, limit);
        ps.setLong(6, leaseMillis);
    }
}

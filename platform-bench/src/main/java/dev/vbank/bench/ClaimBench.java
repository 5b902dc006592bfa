package dev.vbank.bench;

import dev.vbank.claim.ClaimQuery;
import org.HdrHistogram.Histogram;
import org.flywaydb.core.Flyway;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The scheduler's claim at scale: seeds queued jobs straight into {@code scheduler.jobs} of a database migrated by the
 * job-scheduler's own Flyway scripts, then runs dispatch rounds as the scheduler does (advisory lock, count the running,
 * {@link ClaimQuery#claim} the free slots), letting a random part of the running jobs finish between rounds, until the
 * wanted number of dispatches. It times each claim statement, counts dispatches per tenant and captures the claim's plan.
 */
public final class ClaimBench {

    public record Settings(int jobs, int tenants, int dispatches, int maxRunning, int tenantCap, double finishChance,
                           long seed) {
        /** The setting: 10,000 queued jobs over 1,000 tenants, the first holding half; 1,000 dispatches. */
        public static Settings standard() {
            return new Settings(10_000, 1_000, 1_000, 4, 2, 0.5, 7);
        }
    }

    /**
     * @param fairnessRatio the largest over the smallest per-tenant count of dispatches, over tenants that had queued
     *                      work the whole time (infinite when one of them got none)
     */
    public record Result(Settings settings, int rounds, long dispatched, Histogram claimMicros, double fairnessRatio,
                         int minPerTenant, int maxPerTenant, int heavyTenantDispatches, int tenantsServed,
                         int maxRunningSeenPerTenant, String plan) {
        public double claimMillis(double percentile) {
            return claimMicros.getValueAtPercentile(percentile) / 1000.0;
        }
    }

    static final String HEAVY = "tenant-bench-0000";

    private ClaimBench() {
    }

    /** Migrates the scheduler schema (the job-scheduler's scripts) into the database at {@code jdbcUrl}. */
    public static void migrate(String jdbcUrl, String user, String password) {
        Flyway.configure().dataSource(jdbcUrl, user, password).schemas("scheduler").defaultSchema("scheduler")
                .locations("classpath:db/migration")
                .placeholders(Map.of("service", "job-scheduler", "version", "bench"))
                .load().migrate();
    }

    public static Result run(String jdbcUrl, String user, String password, Settings s) throws SQLException {
        migrate(jdbcUrl, user, password);
        try (Connection c = DriverManager.getConnection(jdbcUrl, user, password)) {
            seed(c, s);
            String plan = explain(c, s);
            Histogram claim = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
            Map<String, Integer> perTenant = new HashMap<>();
            Random random = new Random(s.seed());
            long dispatched = 0;
            int rounds = 0;
            int maxRunningPerTenant = 0;
            while (dispatched < s.dispatches()) {
                rounds++;
                int free;
                List<ClaimQuery.Claimed<String>> claimed;
                c.setAutoCommit(false);
                try {
                    try (PreparedStatement ps = c.prepareStatement("select pg_advisory_xact_lock(?)")) {
                        ps.setLong(1, ClaimQuery.DISPATCH_LOCK);
                        ps.execute();
                    }
                    free = s.maxRunning() - count(c, "select count(*) from scheduler.jobs"
                            + " where status in ('running', 'cancelling')");
                    int limit = (int) Math.min(free, s.dispatches() - dispatched);
                    long t0 = System.nanoTime();
                    claimed = limit > 0 ? ClaimQuery.claim(c, s.tenantCap(), limit, 60_000, rs -> rs.getString("tenant_id")) : List.of();
                    if (limit > 0) {
                        claim.recordValue((System.nanoTime() - t0) / 1000);
                    }
                    c.commit();
                } finally {
                    c.setAutoCommit(true);
                }
                for (ClaimQuery.Claimed<String> job : claimed) {
                    perTenant.merge(job.job(), 1, Integer::sum);
                }
                dispatched += claimed.size();
                maxRunningPerTenant = Math.max(maxRunningPerTenant, count(c, "select coalesce(max(n), 0) from"
                        + " (select count(*) as n from scheduler.jobs where status = 'running' group by tenant_id) r"));
                if (claimed.isEmpty() && free > 0) {
                    throw new IllegalStateException("no job claimed with " + free + " free slots after " + dispatched
                            + " dispatches");
                }
                finishSome(c, random, s.finishChance());
            }
            List<String> steady = tenantsQueuedThroughout(c);
            int min = Integer.MAX_VALUE;
            int max = 0;
            for (String t : steady) {
                int n = perTenant.getOrDefault(t, 0);
                min = Math.min(min, n);
                max = Math.max(max, n);
            }
            double ratio = min == 0 ? Double.POSITIVE_INFINITY : (double) max / min;
            return new Result(s, rounds, dispatched, claim, ratio, min, max, perTenant.getOrDefault(HEAVY, 0),
                    perTenant.size(), maxRunningPerTenant, plan);
        }
    }

    /** Empties the jobs table and inserts {@code jobs} queued jobs: every second one (by age) the heavy tenant's. */
    static void seed(Connection c, Settings s) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("truncate scheduler.job_events, scheduler.checkpoints, scheduler.outbox, scheduler.evaluation_results,"
                    + " scheduler.evaluation_items, scheduler.jobs, scheduler.evaluations");
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into scheduler.jobs (id, tenant_id, status, max_attempts, model, training_file, method_type,
                                            seed, created_at)
                select 'ftjob-bench-' || lpad(g::text, 6, '0'),
                       case when g % 2 = 0 then ? else 'tenant-bench-' || lpad((1 + (g / 2) % (? - 1))::text, 4, '0') end,
                       'queued', 3, 'all-minilm-l6-v2', 'file-bench', 'vblora', g,
                       now() - interval '1 hour' + g * interval '1 millisecond'
                from generate_series(0, ? - 1) g""")) {
            ps.setString(1, HEAVY);
            ps.setInt(2, s.tenants());
            ps.setInt(3, s.jobs());
            ps.executeUpdate();
        }
        try (Statement st = c.createStatement()) {
            st.execute("vacuum analyze scheduler.jobs, scheduler.tenant_queues");
        }
    }

    /** {@code EXPLAIN (ANALYZE, BUFFERS)} of one claim on the seeded table, rolled back. */
    static String explain(Connection c, Settings s) throws SQLException {
        StringBuilder plan = new StringBuilder();
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement("explain (analyze, buffers) " + ClaimQuery.SQL)) {
            ClaimQuery.bind(ps, s.tenantCap(), s.maxRunning(), 60_000);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                }
            }
        } finally {
            c.rollback();
            c.setAutoCommit(true);
        }
        return plan.toString();
    }

    private static void finishSome(Connection c, Random random, double chance) throws SQLException {
        List<String> running = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select id from scheduler.jobs where status = 'running' order by id")) {
            while (rs.next()) {
                running.add(rs.getString(1));
            }
        }
        try (PreparedStatement ps = c.prepareStatement("update scheduler.jobs set status = 'succeeded',"
                + " version = version + 1, finished_at = clock_timestamp() where id = ? and status = 'running'")) {
            for (String id : running) {
                if (random.nextDouble() < chance) {
                    ps.setString(1, id);
                    ps.addBatch();
                }
            }
            ps.executeBatch();
        }
    }

    private static List<String> tenantsQueuedThroughout(Connection c) throws SQLException {
        List<String> tenants = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "select distinct tenant_id from scheduler.jobs where status = 'queued'")) {
            while (rs.next()) {
                tenants.add(rs.getString(1));
            }
        }
        return tenants;
    }

    private static int count(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}

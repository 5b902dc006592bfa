package dev.vbank.e2e.faults;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.e2e.faults.Report.Size;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Horizontal scale on one machine with real processes: 3 gpu-workers, 2 job-schedulers and 2 gateways (plus one
 * artifact-service) on shared PostgreSQL, Kafka and S3. Jobs from 5 tenants arrive through both gateways; one
 * scheduler and one gateway are SIGKILLed while they run. Every job is trained exactly once to one adapter, no
 * tenant waits while others are served twice (fair share holds across the schedulers), and nothing is lost.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScaleOutTest {

    static final int TENANTS = 5;

    Cluster cluster;
    Client client;
    Report report;

    @BeforeAll
    void up() throws Exception {
        Assumptions.assumeFalse(Boolean.getBoolean("vbank.e2e.skip"), "vbank.e2e.skip=true");
        cluster = new Cluster("scale");
        report = new Report(cluster.repo, "Scale-out: 3 gpu-workers, 2 job-schedulers, 2 gateways");
        cluster.env.put("VBANK_SCHEDULER_MAX_RUNNING", "3"); // one slot per worker, so the queue stays in the database
        cluster.env.put("VBANK_SCHEDULER_TENANT_MAX_RUNNING", "1");
        cluster.env.put("VBANK_WORKER_CHECKPOINT_INTERVAL", "5s");
        cluster.withoutQuotas();
        client = cluster.up(report, 2, 2, 3);
    }

    @AfterAll
    void down() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void jobsFromFiveTenantsAreEachTrainedOnceAcrossWorkersWhileASchedulerAndAGatewayDie() throws Exception {
        int perTenant = Size.pick(2, 6);
        List<String> rows = Client.amazonRows(cluster.repo);
        List<Client.Tenant> tenants = new ArrayList<>();
        Map<String, String> files = new HashMap<>();
        for (int t = 0; t < TENANTS; t++) {
            Client.Tenant tenant = client.createTenant(cluster.adminToken, "scale-" + t);
            tenants.add(tenant);
            files.put(tenant.id(), client.upload(tenant.key(), "t" + t + ".jsonl", rows.subList(t * 16, t * 16 + 16)));
        }
        // all jobs submitted at once, tenant after tenant, through both gateways (round robin)
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        Map<String, Client.Tenant> tenantOf = new LinkedHashMap<>();
        List<Future<Client.Created>> created = new ArrayList<>();
        List<Client.Tenant> order = new ArrayList<>();
        for (Client.Tenant tenant : tenants) {
            for (int j = 0; j < perTenant; j++) {
                order.add(tenant);
                created.add(pool.submit(() -> client.createJob(tenant.key(), Client.jobBody(files.get(tenant.id()), 2, 8),
                        Duration.ofMinutes(2))));
            }
        }
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < created.size(); i++) {
            String id = created.get(i).get().job().path("id").asText();
            ids.add(id);
            tenantOf.put(id, order.get(i));
        }
        pool.shutdown();
        // once a few jobs run, one scheduler and one gateway die without a goodbye
        awaitSucceeded(ids, tenantOf, 2, Duration.ofMinutes(5));
        Cluster.Service scheduler = cluster.of("job-scheduler").get(1);
        Cluster.Service gateway = cluster.of("api-gateway").get(1);
        scheduler.kill();
        gateway.kill();
        report.line("SIGKILLed " + scheduler.name + " and " + gateway.name + " after 2 jobs succeeded");
        awaitSucceeded(ids, tenantOf, ids.size(), Duration.ofMinutes(Size.pick(10, 30)));
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;

        // exactly once: one succeeded run, one adapter row and object, per job; no run left unfinished
        Map<String, Long> runs = new HashMap<>();
        Map<String, String> workerOf = new HashMap<>();
        Map<String, Long> runsPerWorker = new TreeMap<>();
        try (Connection c = cluster.db(); PreparedStatement ps = c.prepareStatement(
                "select job_id, worker_id, status from worker.job_runs where job_id = any (?)")) {
            ps.setArray(1, c.createArrayOf("text", ids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getString(3).equals("succeeded")) {
                        runs.merge(rs.getString(1), 1L, Long::sum);
                        workerOf.put(rs.getString(1), rs.getString(2));
                        runsPerWorker.merge(rs.getString(2), 1L, Long::sum);
                    }
                }
            }
        }
        assertThat(runs).as("succeeded runs per job").hasSize(ids.size()).allSatisfy((k, v) -> assertThat(v).isOne());
        // dispatches are keyed by job id onto 3 partitions, one per worker: how many each worker gets follows the keys
        assertThat(runsPerWorker).as("jobs per worker").hasSizeGreaterThanOrEqualTo(2);
        try (Connection c = cluster.db(); PreparedStatement ps = c.prepareStatement(
                "select count(*), count(distinct job_id) from artifacts.adapters where job_id = any (?)")) {
            ps.setArray(1, c.createArrayOf("text", ids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getLong(1)).as("adapters").isEqualTo(ids.size());
                assertThat(rs.getLong(2)).isEqualTo(ids.size());
            }
        }

        // fair share: in the order jobs started, no tenant gets its k-th job running before every tenant with jobs
        // left got its (k-1)-th; with 1 running job per tenant and 3 slots, starts interleave tenants
        List<String> startOrder = new ArrayList<>();
        try (Connection c = cluster.db(); PreparedStatement ps = c.prepareStatement(
                "select job_id from worker.job_runs where job_id = any (?) and status = 'succeeded' order by started_at")) {
            ps.setArray(1, c.createArrayOf("text", ids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    startOrder.add(tenantOf.get(rs.getString(1)).id());
                }
            }
        }
        int worstLead = 0;
        Map<String, Integer> started = new HashMap<>();
        for (String t : startOrder) {
            started.merge(t, 1, Integer::sum);
            int min = tenants.stream().mapToInt(x -> started.getOrDefault(x.id(), 0)).min().orElse(0);
            worstLead = Math.max(worstLead, started.get(t) - min);
        }
        assertThat(worstLead).as("most jobs one tenant started ahead of the least served (start order "
                + startOrder + ")").isLessThanOrEqualTo(2);
        report.line(String.format("%d jobs from %d tenants (%d each) through 2 gateways: all succeeded in %d s, each"
                        + " trained exactly once (one succeeded run, one adapter); runs per worker %s; fair share: at most"
                        + " %d job(s) started ahead of the least-served tenant", ids.size(), TENANTS, perTenant, seconds,
                runsPerWorker, worstLead));
    }

    void awaitSucceeded(List<String> ids, Map<String, Client.Tenant> tenantOf, int count, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            int done = 0;
            for (String id : ids) {
                JsonNode job;
                try {
                    job = client.job(tenantOf.get(id).key(), id);
                } catch (Exception e) {
                    continue;
                }
                String status = job.path("status").asText();
                assertThat(status).as("job " + id + ": " + job).isNotIn("failed", "cancelled");
                if (status.equals("succeeded")) {
                    done++;
                }
            }
            if (done >= count) {
                return;
            }
            assertThat(System.nanoTime()).as(done + " of " + count + " jobs succeeded within " + timeout)
                    .isLessThan(deadline);
            Thread.sleep(1000);
        }
    }
}

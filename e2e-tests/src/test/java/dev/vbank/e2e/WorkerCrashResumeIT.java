package dev.vbank.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.vbank.e2e.Api.as;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault test on the launcher's platform: the gpu-worker JVM is killed (SIGKILL, its pid file) mid-training right after
 * a checkpoint event, a new worker is started with {@code vbank-local restart-service gpu-worker}, and the job must
 * resume from its last checkpoint (the lease expires, the scheduler requeues it), succeed, leave exactly one adapter,
 * and lose at most one checkpoint interval of steps.
 * <p>
 * Failsafe: {@code ./mvnw -pl e2e-tests verify -DskipITs=false} (5–8 minutes on 2 busy cores). Short lease and Kafka
 * session timeouts are set for this platform only so that the takeover happens within seconds, not minutes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerCrashResumeIT {

    static final int CHECKPOINT_EVERY = 5;
    static final int TRAIN_ROWS = 240;
    static final int BATCH = 8;
    static final int EPOCHS = 2;
    static final int STEPS = EPOCHS * TRAIN_ROWS / BATCH;

    LocalPlatform platform;

    @BeforeAll
    void up() throws Exception {
        Assumptions.assumeFalse(LocalPlatform.skipped(), "vbank.e2e.skip=true");
        platform = new LocalPlatform("crash");
        platform.env.put("VBANK_WORKER_CHECKPOINT_EVERY", Integer.toString(CHECKPOINT_EVERY));
        platform.env.put("VBANK_WORKER_HEARTBEAT_INTERVAL", "2s");
        platform.env.put("VBANK_SCHEDULER_LEASE", "15s");
        platform.env.put("VBANK_WORKER_KAFKA_SESSION_TIMEOUT", "10s");
        LocalPlatform.Result r = platform.up();
        assertThat(r.exit()).as("vbank-local up:\n" + r.output()).isZero();
    }

    @AfterAll
    void down() throws Exception {
        if (platform != null) {
            platform.down();
        }
    }

    @Test
    void killedWorkerResumesFromItsLastCheckpoint() throws Exception {
        Api.Tenant t = Api.createTenant(platform.adminToken, "e2e-crash");
        List<String> rows = Api.amazonRows(platform.repo);
        JsonNode train = Api.upload(t.key(), "amazon-train.jsonl", rows.subList(0, TRAIN_ROWS));
        JsonNode job = Api.createJob(t.key(), train.path("id").asText(), null, EPOCHS, BATCH, 64);
        String jobId = job.path("id").asText();

        // ---- wait for a checkpoint past the first one and two more steps, then kill the worker at once: the two
        //      steps after the checkpoint are lost and must be trained again
        List<JsonNode> events = new ArrayList<>();
        String after = null;
        long deadline = System.nanoTime() + Duration.ofMinutes(8).toNanos();
        long checkpoint = -1;
        long killedAtStep = -1;
        while (killedAtStep < 0) {
            assertThat(System.nanoTime() < deadline).as("no second checkpoint within 8 min; events " + events).isTrue();
            for (JsonNode e : Api.eventsPage(t.key(), jobId, after)) {
                events.add(e);
                after = e.path("id").asText();
                assertThat(Api.isTerminal(e)).as("job ended before the kill: " + e).isFalse();
                if (Api.isCheckpoint(e)) {
                    checkpoint = e.path("data").path("step").asLong();
                }
                if (Api.isProgress(e) && checkpoint >= 2L * CHECKPOINT_EVERY
                        && e.path("data").path("step").asLong() >= checkpoint + 2) {
                    killedAtStep = e.path("data").path("step").asLong();
                    break;
                }
            }
            if (killedAtStep < 0) {
                Thread.sleep(100);
            }
        }
        long workerPid = platform.pid("gpu-worker").orElseThrow();
        ProcessHandle worker = ProcessHandle.of(workerPid).orElseThrow();
        assertThat(worker.destroyForcibly()).isTrue();
        worker.onExit().get();
        System.out.printf("[e2e] killed gpu-worker pid %d at step %d, after the checkpoint at step %d%n", workerPid,
                killedAtStep, checkpoint);

        LocalPlatform.Result r = platform.launcher(Duration.ofMinutes(6), "restart-service", "gpu-worker", "--timeout", "300");
        assertThat(r.exit()).as("restart-service:\n" + r.output()).isZero();
        platform.recordPids();
        assertThat(platform.pid("gpu-worker").orElseThrow()).isNotEqualTo(workerPid);

        // ---- follow to the end
        while (events.isEmpty() || !Api.isTerminal(events.get(events.size() - 1))) {
            assertThat(System.nanoTime() < deadline + Duration.ofMinutes(6).toNanos()).as("job did not finish; events " + events).isTrue();
            List<JsonNode> page = Api.eventsPage(t.key(), jobId, after);
            for (JsonNode e : page) {
                events.add(e);
                after = e.path("id").asText();
            }
            if (page.isEmpty()) {
                Thread.sleep(500);
            }
        }
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.path("data").path("status").asText()).as("terminal event; events " + events + "\nworker log:\n"
                + PlatformEndToEndTest.tail(platform.log("gpu-worker"), 60)).isEqualTo("succeeded");

        // ---- the event log: attempt 1 runs until the kill, its lease expires (running -> queued), attempt 2 starts
        //      right after attempt 1's last checkpoint and runs to the end
        List<String> states = new ArrayList<>();
        List<Long> before = new ArrayList<>();
        List<Long> resumed = new ArrayList<>();
        long lastCheckpointBefore = -1;
        int running = 0;
        for (JsonNode e : events) {
            if (e.path("type").asText().equals("state") && !e.path("data").path("status").asText().isEmpty()) {
                states.add(e.path("data").path("status").asText());
                if (states.get(states.size() - 1).equals("running")) {
                    running++;
                }
            }
            if (Api.isCheckpoint(e) && running == 1) {
                lastCheckpointBefore = Math.max(lastCheckpointBefore, e.path("data").path("step").asLong());
            }
            if (Api.isProgress(e)) {
                (running == 1 ? before : resumed).add(e.path("data").path("step").asLong());
            }
        }
        System.out.printf("[e2e] states %s; attempt 1 steps %s; checkpoint %d; attempt 2 steps %s%n", states, before,
                lastCheckpointBefore, resumed);
        assertThat(states).containsSubsequence("queued", "running", "queued", "running", "succeeded");
        assertThat(running).as("dispatches").isEqualTo(2);
        assertThat(before).isEqualTo(java.util.stream.LongStream.rangeClosed(1, before.size()).boxed().toList());
        assertThat(before.get(before.size() - 1)).isGreaterThanOrEqualTo(killedAtStep);
        assertThat(lastCheckpointBefore).isGreaterThanOrEqualTo(checkpoint);
        assertThat(resumed).as("attempt 2 resumes after the last checkpoint and trains every later step once")
                .isEqualTo(java.util.stream.LongStream.rangeClosed(lastCheckpointBefore + 1, STEPS).boxed().toList());
        long lost = before.get(before.size() - 1) - lastCheckpointBefore;
        System.out.printf("[e2e] steps trained again after the crash: %d%n", lost);
        assertThat(lost).as("steps lost to the crash").isBetween(0L, (long) CHECKPOINT_EVERY);

        JsonNode done = Api.job(t.key(), jobId);
        assertThat(done.path("status").asText()).isEqualTo("succeeded");
        assertThat(done.path("trained_steps").asLong()).isEqualTo(STEPS);
        String adapterId = done.path("adapter_id").asText();
        Response meta = as(t.key()).get("/v1/adapters/" + adapterId);
        assertThat(meta.statusCode()).isEqualTo(200);
        byte[] bytes = as(t.key()).queryParam("format", "compact").get("/v1/adapters/" + adapterId + "/content").asByteArray();
        assertThat(Api.sha256(bytes)).isEqualTo(Api.JSON.readTree(meta.asString()).path("sha256").asText());

        // ---- exactly one adapter: one row for the job, one object in S3
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:54320/vbank", "postgres", "postgres");
             PreparedStatement ps = c.prepareStatement("select count(*) from artifacts.adapters where job_id = ?")) {
            ps.setString(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getLong(1)).as("adapter rows of " + jobId).isEqualTo(1);
            }
        }
        assertThat(platform.s3Objects("tenants/" + t.id() + "/adapters/")).hasSize(1);
    }
}

package dev.vbank.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.job.JobStatus;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

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
 * The whole platform, as {@code deploy/bin/vbank-local} runs it (PostgreSQL, Kafka KRaft and S3 in the infrastructure
 * JVM; api-gateway, job-scheduler, gpu-worker and artifact-service as four more JVMs), driven only through the public
 * API: a tenant, the UCI Amazon sentences uploaded, a VB-LoRA job on all-MiniLM-L6-v2 trained for 30 steps and
 * followed over SSE to {@code succeeded}, the adapter downloaded and checked against its sha256, and a second tenant
 * that sees none of it; {@code vbank-local demo} on the same platform; and a worker killed mid-training whose job
 * resumes from its last checkpoint. The platform is always stopped afterwards, and no process it started may remain.
 * <p>
 * Needs the services built (the reactor builds them first: this module depends on them) and the fixed ports free;
 * {@code -Dvbank.e2e.skip=true} skips it. Took about 3 minutes on 2 busy cores.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PlatformEndToEndTest {

    static final int TRAIN_ROWS = 240;
    static final int VALIDATION_ROWS = 80;
    static final int BATCH = 8;
    static final int STEPS = TRAIN_ROWS / BATCH; // one epoch
    static final int CHECKPOINT_EVERY = 5;
    static final int CRASH_EPOCHS = 2;
    static final int CRASH_STEPS = CRASH_EPOCHS * TRAIN_ROWS / BATCH;

    LocalPlatform platform;

    @BeforeAll
    void up() throws Exception {
        Assumptions.assumeFalse(LocalPlatform.skipped(), "vbank.e2e.skip=true");
        platform = new LocalPlatform("e2e");
        // for the fault test: checkpoints every 5 steps, and a dead worker's lease and Kafka membership end within
        // seconds rather than a minute (heartbeats every 2 s keep a live worker's lease)
        platform.env.put("VBANK_WORKER_CHECKPOINT_EVERY", Integer.toString(CHECKPOINT_EVERY));
        platform.env.put("VBANK_WORKER_HEARTBEAT_INTERVAL", "2s");
        platform.env.put("VBANK_SCHEDULER_LEASE", "15s");
        platform.env.put("VBANK_WORKER_KAFKA_SESSION_TIMEOUT", "10s");
        LocalPlatform.Result r = platform.up();
        assertThat(r.exit()).as("vbank-local up:\n" + r.output()).isZero();
        assertThat(r.output()).contains("vbank is up").contains("first tenant API key:");
    }

    @AfterAll
    void down() throws Exception {
        if (platform != null) {
            platform.down();
        }
    }

    /** The first test's adapter, its tenant and another tenant, for the serving test. */
    record Trained(Api.Tenant tenant, Api.Tenant other, String adapterId) {
    }

    private Trained trained;

    @Test
    @Order(1)
    void jobThroughThePublicApiToAVerifiedAdapterAndTenantIsolation() throws Exception {
        Api.Tenant a = Api.createTenant(platform.adminToken, "e2e-a");
        Api.Tenant b = Api.createTenant(platform.adminToken, "e2e-b");
        assertThat(a.id()).isNotEqualTo(b.id());
        // a wrong key is refused before anything else
        assertThat(as("not-a-key").get("/v1/files").statusCode()).isEqualTo(401);

        List<String> rows = Api.amazonRows(platform.repo);
        JsonNode train = Api.upload(a.key(), "amazon-train.jsonl", rows.subList(0, TRAIN_ROWS));
        JsonNode valid = Api.upload(a.key(), "amazon-validation.jsonl", rows.subList(TRAIN_ROWS, TRAIN_ROWS + VALIDATION_ROWS));
        assertThat(train.path("labels").toString()).isIn("[0,1]", "[\"0\",\"1\"]");

        long t0 = System.nanoTime();
        JsonNode created = Api.createJob(a.key(), train.path("id").asText(), valid.path("id").asText(), 1, BATCH, 64);
        String jobId = created.path("id").asText();
        List<JsonNode> events = Api.followSse(a.key(), jobId, 12 * 60_000L);
        System.out.printf("[e2e] job %s finished in %d s%n", jobId, (System.nanoTime() - t0) / 1_000_000_000L);

        // ---- the event log tells the story: states in order, every step with a finite loss, the terminal event last
        JsonNode last = events.get(events.size() - 1);
        if (!last.path("data").path("status").asText().equals("succeeded")) {
            throw new AssertionError("job ended " + last + "\nevents: " + events + "\n--- gpu-worker log tail:\n"
                    + tail(platform.log("gpu-worker"), 60));
        }
        List<String> states = new ArrayList<>();
        List<Long> steps = new ArrayList<>();
        for (JsonNode e : events) {
            if (e.path("type").asText().equals("state")) {
                states.add(e.path("data").path("status").asText());
            }
            if (Api.isProgress(e)) {
                steps.add(e.path("data").path("step").asLong());
                assertThat(e.path("data").path("total_steps").asLong()).isEqualTo(STEPS);
                double loss = e.path("data").path("train_loss").asDouble();
                assertThat(Double.isFinite(loss) && loss > 0).as("loss in " + e).isTrue();
            }
        }
        assertThat(states).as("state events").containsSubsequence("queued", "running", "succeeded");
        assertThat(states.get(states.size() - 1)).isEqualTo("succeeded");
        // progress interval 0: every optimizer step reported, once, in order (one attempt, no resume)
        assertThat(steps).as("steps reported").isEqualTo(java.util.stream.LongStream.rangeClosed(1, STEPS).boxed().toList());
        assertThat(events.stream().map(e -> e.path("id").asText()).distinct().count()).as("event ids unique")
                .isEqualTo(events.size());

        // ---- the job object agrees
        JsonNode job = Api.job(a.key(), jobId);
        assertThat(job.path("status").asText()).isEqualTo("succeeded");
        assertThat(job.path("trained_steps").asLong()).isEqualTo(STEPS);
        assertThat(job.path("error").isNull()).as("error of " + job).isTrue();
        String adapterId = job.path("adapter_id").asText();
        assertThat(adapterId).startsWith("adapter-");

        // ---- the adapter: metadata, compact bytes whose sha256 is the metadata's
        Response metaR = as(a.key()).get("/v1/adapters/" + adapterId);
        assertThat(metaR.statusCode()).as(metaR.asString()).isEqualTo(200);
        JsonNode meta = Api.JSON.readTree(metaR.asString());
        assertThat(meta.path("job_id").asText()).isEqualTo(jobId);
        assertThat(meta.path("base_model").asText()).isEqualTo("all-minilm-l6-v2");
        assertThat(meta.path("method").asText()).isEqualTo("vblora");
        assertThat(meta.path("format").asText()).isEqualTo("vbank-compact");
        assertThat(meta.path("parameters").path("trainable").asLong()).isPositive();
        Response content = as(a.key()).queryParam("format", "compact").get("/v1/adapters/" + adapterId + "/content");
        assertThat(content.statusCode()).as(content.asString()).isEqualTo(200);
        byte[] bytes = content.asByteArray();
        assertThat((long) bytes.length).isEqualTo(meta.path("bytes").asLong())
                .isEqualTo(meta.path("parameters").path("compact_bytes").asLong());
        assertThat(Api.sha256(bytes)).isEqualTo(meta.path("sha256").asText());
        System.out.printf("[e2e] adapter %s: %d bytes, sha256 %s, parameters %s%n", adapterId, bytes.length,
                meta.path("sha256").asText(), meta.path("parameters"));

        trained = new Trained(a, b, adapterId);

        // ---- exactly one adapter object in S3 for tenant a
        assertThat(platform.s3Objects("tenants/" + a.id() + "/adapters/")).hasSize(1);

        // ---- tenant b sees nothing of tenant a's
        String fileId = train.path("id").asText();
        for (String path : List.of("/v1/fine_tuning/jobs/" + jobId, "/v1/fine_tuning/jobs/" + jobId + "/events",
                "/v1/fine_tuning/jobs/" + jobId + "/checkpoints", "/v1/files/" + fileId, "/v1/files/" + fileId + "/content",
                "/v1/adapters/" + adapterId, "/v1/adapters/" + adapterId + "/content?format=compact")) {
            Response r = as(b.key()).get(path);
            assertThat(r.statusCode()).as("tenant b GET " + path + ": " + r.asString()).isEqualTo(404);
            assertThat(r.asString()).doesNotContain(meta.path("sha256").asText()).doesNotContain("amazon");
        }
        Response sse = as(b.key()).accept("text/event-stream").get("/v1/fine_tuning/jobs/" + jobId + "/events");
        assertThat(sse.statusCode()).as("tenant b SSE: " + sse.asString()).isEqualTo(404);
        Response cancel = as(b.key()).contentType("application/json").body("{}").post("/v1/fine_tuning/jobs/" + jobId + "/cancel");
        assertThat(cancel.statusCode()).as("tenant b cancel: " + cancel.asString()).isEqualTo(404);
        Response del = as(b.key()).delete("/v1/files/" + fileId);
        assertThat(del.statusCode()).as("tenant b delete: " + del.asString()).isEqualTo(404);
        // b's lists are empty, and a's file is still there
        assertThat(Api.JSON.readTree(as(b.key()).get("/v1/fine_tuning/jobs").asString()).path("data").size()).isZero();
        assertThat(Api.JSON.readTree(as(b.key()).get("/v1/files").asString()).path("data").size()).isZero();
        assertThat(as(a.key()).get("/v1/files/" + fileId).statusCode()).isEqualTo(200);
    }

    /**
     * The first test's adapter served through the gateway: predictions and embeddings for its tenant, 404 for another, 4xx
     * naming the field for bad input; the inference-service restarted refills its cache on demand; with the
     * artifact-service stopped the cached adapter keeps answering and an adapter not cached gets a 503.
     */
    @Test
    @Order(2)
    void theTrainedAdapterAnswersThroughTheGatewayAndSurvivesRestarts() throws Exception {
        assertThat(trained).as("the adapter of the first test").isNotNull();
        Api.Tenant t = trained.tenant();
        Api.Tenant other = trained.other();
        String adapterId = trained.adapterId();
        String body = "{\"adapter\": \"" + adapterId + "\", \"inputs\": [\"Great phone, works perfectly.\", "
                + "{\"text_a\": \"Battery died\", \"text_b\": \"after one day\"}]}";

        JsonNode p = predict(t.key(), body, 200);
        assertThat(p.path("object").asText()).isEqualTo("list");
        assertThat(p.path("adapter").asText()).isEqualTo(adapterId);
        assertThat(p.path("model").asText()).isEqualTo("all-minilm-l6-v2");
        assertThat(p.path("data")).hasSize(2);
        for (JsonNode d : p.path("data")) {
            assertThat(d.path("label").asText()).isIn("0", "1");
            double sum = d.path("probabilities").path("0").asDouble() + d.path("probabilities").path("1").asDouble();
            assertThat(sum).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-6));
        }
        assertThat(p.path("usage").path("inputs").asInt()).isEqualTo(2);
        assertThat(p.path("usage").path("tokens").asInt()).isGreaterThan(6);

        Response e = as(t.key()).contentType("application/json")
                .body("{\"adapter\": \"" + adapterId + "\", \"input\": [\"hello\"]}").post("/v1/embeddings");
        assertThat(e.statusCode()).as(e.asString()).isEqualTo(200);
        assertThat(Api.JSON.readTree(e.asString()).path("data").get(0).path("embedding")).hasSize(384);

        assertThat(predict(other.key(), body, 404).path("error").path("param").asText()).isEqualTo("adapter");
        assertThat(predict(t.key(), "{\"adapter\": \"" + adapterId + "\"}", 400).path("error").path("param")
                .asText()).isEqualTo("inputs");

        LocalPlatform.Result restarted = platform.launcher(java.time.Duration.ofMinutes(3), "restart-service",
                "inference-service");
        assertThat(restarted.exit()).as(restarted.output()).isZero();
        assertThat(predict(t.key(), body, 200).path("data").get(0).path("label").asText())
                .isEqualTo(p.path("data").get(0).path("label").asText());

        LocalPlatform.Result stopped = platform.launcher(java.time.Duration.ofMinutes(2), "stop-service",
                "artifact-service");
        assertThat(stopped.exit()).as(stopped.output()).isZero();
        try {
            assertThat(predict(t.key(), body, 200).path("data")).hasSize(2);
            JsonNode down = predict(other.key(), body, 503);
            assertThat(down.path("error").path("code").asText()).isEqualTo("service_unavailable");
            assertThat(down.path("error").path("message").asText()).contains("artifact-service");
        } finally {
            LocalPlatform.Result back = platform.launcher(java.time.Duration.ofMinutes(3), "restart-service",
                    "artifact-service");
            assertThat(back.exit()).as(back.output()).isZero();
        }
    }

    private static JsonNode predict(String key, String body, int status) throws Exception {
        Response r = as(key).contentType("application/json").body(body).post("/v1/predictions");
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(status);
        return Api.JSON.readTree(r.asString());
    }

    /**
     * {@code vbank-local demo} on the running platform: the first tenant's key, a real job, a verified adapter, and the
     * sentiment-en evaluation printed next to the head-only baseline.
     */
    @Test
    @Order(3)
    void demoCommandRunsAJobToAVerifiedAdapter() throws Exception {
        LocalPlatform.Result r = platform.launcher(java.time.Duration.ofMinutes(12), "demo", "--", "--timeout", "600");
        assertThat(r.exit()).as("vbank-local demo:\n" + r.output()).isZero();
        assertThat(r.output()).doesNotContain("starting it") // the platform was up: the demo used it as it was
                .contains("uploaded yelp-train.jsonl as file-", "status processed")
                .contains("step " + STEPS + "/" + STEPS)
                .contains("[succeeded] Job succeeded; adapter adapter-")
                .contains("(metadata matches)")
                .containsPattern("evaluation on sentiment-en v1 \\(held-out")
                .containsPattern("imdb-test +accuracy +400 +0\\.\\d{4} +0\\.\\d{4}")
                .containsPattern("uci-amazon +f1_macro +\\d+ +0\\.\\d{4} +0\\.\\d{4}")
                .containsPattern("uci-imdb +accuracy +\\d+ +0\\.\\d{4} +0\\.\\d{4}")
                .containsPattern("demo done: job ftjob-\\S+ succeeded, adapter adapter-[0-9a-f]+ verified, "
                        + "evaluation eval-[0-9A-Za-z]+ succeeded");
    }

    /**
     * Fault test, last because it replaces the worker: the gpu-worker JVM gets SIGKILL (its pid file) two steps after a
     * checkpoint, {@code vbank-local restart-service gpu-worker} starts a new one, and the job must resume from its last
     * checkpoint once the lease expires, lose at most one checkpoint interval, succeed, and leave exactly one adapter.
     */
    @Test
    @Order(4)
    void killedWorkerResumesFromItsLastCheckpoint() throws Exception {
        Api.Tenant t = Api.createTenant(platform.adminToken, "e2e-crash");
        List<String> rows = Api.amazonRows(platform.repo);
        JsonNode train = Api.upload(t.key(), "amazon-train.jsonl", rows.subList(0, TRAIN_ROWS));
        JsonNode job = Api.createJob(t.key(), train.path("id").asText(), null, CRASH_EPOCHS, BATCH, 64);
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
                + tail(platform.log("gpu-worker"), 60)).isEqualTo("succeeded");

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
                .isEqualTo(java.util.stream.LongStream.rangeClosed(lastCheckpointBefore + 1, CRASH_STEPS).boxed().toList());
        long lost = before.get(before.size() - 1) - lastCheckpointBefore;
        System.out.printf("[e2e] steps trained again after the crash: %d%n", lost);
        assertThat(lost).as("steps lost to the crash").isBetween(0L, (long) CHECKPOINT_EVERY);

        JsonNode done = Api.job(t.key(), jobId);
        assertThat(done.path("status").asText()).isEqualTo("succeeded");
        assertThat(done.path("trained_steps").asLong()).isEqualTo(CRASH_STEPS);
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

    /**
     * The infrastructure JVM (PostgreSQL, Kafka and S3 together) restarted through {@code vbank-local restart-service
     * infra} while job A trains (checkpoints every 5 steps), job B runs or waits and job C waits (two running jobs per
     * tenant); the services keep running. All three jobs must succeed with one verified adapter each, and the event log read again from the start must still hold
     * every event seen before the restart, with only valid state changes.
     */
    @Test
    @Order(4)
    void infrastructureRestartLosesNoJob() throws Exception {
        Api.Tenant t = Api.createTenant(platform.adminToken, "e2e-infra");
        List<String> rows = Api.amazonRows(platform.repo);
        JsonNode train = Api.upload(t.key(), "amazon-train.jsonl", rows.subList(0, TRAIN_ROWS));
        String jobA = Api.createJob(t.key(), train.path("id").asText(), null, CRASH_EPOCHS, BATCH, 64).path("id").asText();
        // a tenant runs at most 2 jobs at once (vbank.scheduler default): B (as long as A) may start next to A, C waits
        String jobB = Api.createJob(t.key(), train.path("id").asText(), null, CRASH_EPOCHS, BATCH, 64).path("id").asText();
        String jobC = Api.createJob(t.key(), train.path("id").asText(), null, 1, BATCH, 64).path("id").asText();

        // ---- A or B (whichever the worker trains first) past its first checkpoint and training; C not started
        java.util.Map<String, List<JsonNode>> seen = new java.util.HashMap<>(java.util.Map.of(jobA, new ArrayList<>(), jobB, new ArrayList<>()));
        java.util.Map<String, String> afterOf = new java.util.HashMap<>();
        java.util.Map<String, Long> checkpointOf = new java.util.HashMap<>(java.util.Map.of(jobA, -1L, jobB, -1L));
        long deadline = System.nanoTime() + Duration.ofMinutes(8).toNanos();
        long checkpoint = -1;
        long stepAtRestart = -1;
        String trained = null;
        while (stepAtRestart < 0) {
            assertThat(System.nanoTime() < deadline).as("no checkpoint within 8 min; events " + seen).isTrue();
            for (String id : List.of(jobA, jobB)) {
                for (JsonNode e : Api.eventsPage(t.key(), id, afterOf.get(id))) {
                    seen.get(id).add(e);
                    afterOf.put(id, e.path("id").asText());
                    assertThat(Api.isTerminal(e)).as("job ended before the restart: " + e).isFalse();
                    if (Api.isCheckpoint(e)) {
                        checkpointOf.put(id, e.path("data").path("step").asLong());
                    }
                    long ck = checkpointOf.get(id);
                    if (stepAtRestart < 0 && Api.isProgress(e) && ck >= CHECKPOINT_EVERY && e.path("data").path("step").asLong() >= ck + 1) {
                        stepAtRestart = e.path("data").path("step").asLong();
                        checkpoint = ck;
                        trained = id;
                    }
                }
            }
            if (stepAtRestart < 0) {
                Thread.sleep(100);
            }
        }
        String statusB = Api.job(t.key(), jobB).path("status").asText();
        String statusC = Api.job(t.key(), jobC).path("status").asText();
        assertThat(statusC).as("job C before the restart").isIn("validating_files", "queued");
        long infraPid = platform.pid("infra").orElseThrow();
        platform.recordPids();

        LocalPlatform.Result r = platform.launcher(Duration.ofMinutes(6), "restart-service", "infra", "--timeout", "300");
        assertThat(r.exit()).as("restart-service infra:\n" + r.output()).isZero();
        platform.recordPids();
        assertThat(platform.pid("infra").orElseThrow()).isNotEqualTo(infraPid);
        for (String s : List.of("api-gateway", "job-scheduler", "gpu-worker", "artifact-service")) {
            long pid = platform.pid(s).orElseThrow();
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as(s + " kept running").isTrue();
        }
        System.out.printf("[e2e] infra restarted in %d s at step %d of job %s (checkpoint %d); jobs B, C were %s, %s%n",
                r.seconds(), stepAtRestart, trained.equals(jobA) ? "A" : "B", checkpoint, statusB, statusC);

        // ---- both jobs to the end (the services may answer 5xx for a while after the restart)
        long end = System.nanoTime() + Duration.ofMinutes(8).toNanos();
        int unavailable = 0;
        for (String id : List.of(jobA, jobB, jobC)) {
            JsonNode job = Api.JSON.createObjectNode();
            while (!JobStatus.isTerminal(job.path("status").asText())) {
                assertThat(System.nanoTime() < end).as("job " + id + " did not finish: " + job + "\nscheduler log:\n"
                        + tail(platform.log("job-scheduler"), 60)).isTrue();
                Thread.sleep(1000);
                Response jr = as(t.key()).get("/v1/fine_tuning/jobs/" + id);
                if (jr.statusCode() == 200) {
                    job = Api.JSON.readTree(jr.asString());
                } else {
                    assertThat(jr.statusCode()).as("GET job " + id + ": " + jr.asString()).isEqualTo(503);
                    unavailable++;
                    System.out.printf("[e2e] GET job %s: %d %s%n", id, jr.statusCode(), jr.asString());
                }
            }
            assertThat(job.path("status").asText()).as("job " + id + ": " + job + "\nworker log:\n"
                    + tail(platform.log("gpu-worker"), 60)).isEqualTo("succeeded");
            assertThat(job.path("trained_steps").asLong()).isEqualTo(id.equals(jobC) ? STEPS : CRASH_STEPS);
            String adapterId = job.path("adapter_id").asText();
            Response meta = as(t.key()).get("/v1/adapters/" + adapterId);
            assertThat(meta.statusCode()).as("adapter " + adapterId).isEqualTo(200);
            byte[] bytes = as(t.key()).queryParam("format", "compact").get("/v1/adapters/" + adapterId + "/content").asByteArray();
            assertThat(Api.sha256(bytes)).as("adapter sha256").isEqualTo(Api.JSON.readTree(meta.asString()).path("sha256").asText());
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:54320/vbank", "postgres", "postgres");
                 PreparedStatement ps = c.prepareStatement("select count(*) from artifacts.adapters where job_id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getLong(1)).as("adapter rows of " + id).isEqualTo(1);
                }
            }

            // ---- the whole event log again: what was seen before the restart is still there, ids ascend, states
            //      change only along valid transitions, every step up to the last is reported
            List<JsonNode> all = new ArrayList<>();
            String a = null;
            for (List<JsonNode> page = Api.eventsPage(t.key(), id, null); !page.isEmpty(); page = Api.eventsPage(t.key(), id, a)) {
                all.addAll(page);
                a = page.get(page.size() - 1).path("id").asText();
            }
            List<String> ids = all.stream().map(e -> e.path("id").asText()).toList();
            assertThat(ids).as("event ids of " + id).doesNotHaveDuplicates();
            if (seen.containsKey(id)) {
                assertThat(ids).as("events seen before the restart are still in the log")
                        .startsWith(seen.get(id).stream().map(e -> e.path("id").asText()).toArray(String[]::new));
            }
            List<String> states = new ArrayList<>();
            java.util.Set<Long> steps = new java.util.TreeSet<>();
            for (JsonNode e : all) {
                if (e.path("type").asText().equals("state") && !e.path("data").path("status").asText().isEmpty()) {
                    states.add(e.path("data").path("status").asText());
                }
                if (Api.isProgress(e)) {
                    steps.add(e.path("data").path("step").asLong());
                }
            }
            System.out.printf("[e2e] job %s states %s, %d events, steps reported %d%n", id, states, all.size(), steps.size());
            assertThat(states).as("states of " + id).isNotEmpty().endsWith("succeeded");
            assertThat(states.get(0)).as("first state of " + id).isIn("validating_files", "queued");
            for (int i = 1; i < states.size(); i++) {
                assertThat(states.get(i - 1) + "->" + states.get(i)).as("state change of " + id + " in " + states)
                        .isIn("validating_files->queued", "queued->running", "running->queued", "running->succeeded");
            }
            long total = id.equals(jobC) ? STEPS : CRASH_STEPS;
            assertThat(steps).as("steps reported for " + id)
                    .isEqualTo(new java.util.TreeSet<>(java.util.stream.LongStream.rangeClosed(1, total).boxed().toList()));
        }
        assertThat(platform.s3Objects("tenants/" + t.id() + "/adapters/")).as("adapter objects").hasSize(3);
        // stale pooled database connections answer 503 once each after the restart: settle before the next test
        int ok = 0;
        long settle = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (ok < 20) {
            assertThat(System.nanoTime() < settle).as("gateway not answering 200 twenty times in a row within 60 s").isTrue();
            Response jr = as(t.key()).get("/v1/fine_tuning/jobs/" + jobA);
            if (jr.statusCode() == 200) {
                ok++;
            } else {
                assertThat(jr.statusCode()).as("GET job: " + jr.asString()).isEqualTo(503);
                unavailable++;
                ok = 0;
            }
        }
        System.out.printf("[e2e] 503 answers after the infra restart: %d%n", unavailable);
    }

    /** Cancellation of a running job through the public API, timed until the job reads {@code cancelled}. */
    @Test
    @Order(5)
    void cancellingARunningJobTakesAtMostFiveSeconds() throws Exception {
        Api.Tenant t = Api.createTenant(platform.adminToken, "e2e-cancel");
        List<String> rows = Api.amazonRows(platform.repo);
        JsonNode train = Api.upload(t.key(), "amazon-train.jsonl", rows.subList(0, TRAIN_ROWS));
        String jobId = Api.createJob(t.key(), train.path("id").asText(), null, CRASH_EPOCHS, BATCH, 64).path("id").asText();
        long deadline = System.nanoTime() + Duration.ofMinutes(6).toNanos();
        String after = null;
        long step = -1;
        while (step < 2) {
            assertThat(System.nanoTime() < deadline).as("job not training within 6 min").isTrue();
            for (JsonNode e : Api.eventsPage(t.key(), jobId, after)) {
                after = e.path("id").asText();
                assertThat(Api.isTerminal(e)).as("job ended before the cancel: " + e).isFalse();
                if (Api.isProgress(e)) {
                    step = e.path("data").path("step").asLong();
                }
            }
            Thread.sleep(100);
        }
        long t0 = System.nanoTime();
        Response c = as(t.key()).post("/v1/fine_tuning/jobs/" + jobId + "/cancel");
        long answered = System.nanoTime();
        assertThat(c.statusCode()).as("cancel: " + c.asString()).isEqualTo(200);
        String status = Api.JSON.readTree(c.asString()).path("status").asText();
        while (!status.equals("cancelled")) {
            assertThat(System.nanoTime() - t0).as("not cancelled within 60 s; status " + status).isLessThan(60_000_000_000L);
            Thread.sleep(50);
            status = Api.job(t.key(), jobId).path("status").asText();
            assertThat(status).isIn("running", "cancelling", "cancelled");
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("[e2e] cancel at step %d: POST answered in %d ms (status %s), cancelled after %d ms%n", step,
                (answered - t0) / 1_000_000, Api.JSON.readTree(c.asString()).path("status").asText(), millis);
        assertThat(millis).as("cancel latency in ms").isLessThanOrEqualTo(5_000);
        JsonNode done = Api.job(t.key(), jobId);
        assertThat(done.path("adapter_id").isNull() || done.path("adapter_id").isMissingNode()).as("no adapter: " + done).isTrue();
    }

    static String tail(String s, int lines) {
        String[] l = s.split("\n");
        return String.join("\n", java.util.Arrays.asList(l).subList(Math.max(0, l.length - lines), l.length));
    }
}

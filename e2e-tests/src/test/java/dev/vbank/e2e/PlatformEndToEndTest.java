package dev.vbank.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;

import static dev.vbank.e2e.Api.as;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole platform, as {@code deploy/bin/vbank-local} runs it (PostgreSQL, Kafka KRaft and S3 in the infrastructure
 * JVM; api-gateway, job-scheduler, gpu-worker and artifact-service as four more JVMs), driven only through the public
 * API: a tenant, the UCI Amazon sentences uploaded, a VB-LoRA job on all-MiniLM-L6-v2 trained for 30 steps and
 * followed over SSE to {@code succeeded}, the adapter downloaded and checked against its sha256, and a second tenant
 * that sees none of it. The platform is always stopped afterwards, and no process it started may remain.
 * <p>
 * Needs the services built (the reactor builds them first: this module depends on them) and the fixed ports free;
 * {@code -Dvbank.e2e.skip=true} skips it. Takes 3–5 minutes on 2 busy cores.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PlatformEndToEndTest {

    static final int TRAIN_ROWS = 240;
    static final int VALIDATION_ROWS = 80;
    static final int BATCH = 8;
    static final int STEPS = TRAIN_ROWS / BATCH; // one epoch

    LocalPlatform platform;

    @BeforeAll
    void up() throws Exception {
        Assumptions.assumeFalse(LocalPlatform.skipped(), "vbank.e2e.skip=true");
        platform = new LocalPlatform("e2e");
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

    @Test
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

    /** {@code vbank-local demo} on the running platform: the first tenant's key, a real job, a verified adapter. */
    @Test
    void demoCommandRunsAJobToAVerifiedAdapter() throws Exception {
        LocalPlatform.Result r = platform.launcher(java.time.Duration.ofMinutes(12), "demo", "--", "--timeout", "600");
        assertThat(r.exit()).as("vbank-local demo:\n" + r.output()).isZero();
        assertThat(r.output()).doesNotContain("starting it") // the platform was up: the demo used it as it was
                .contains("uploaded amazon-train.jsonl as file-", "status processed")
                .contains("step " + STEPS + "/" + STEPS)
                .contains("[succeeded] Job succeeded; adapter adapter-")
                .contains("(metadata matches)")
                .containsPattern("demo done: job ftjob-\\S+ succeeded, adapter adapter-[0-9a-f]+ verified");
    }

    static String tail(String s, int lines) {
        String[] l = s.split("\n");
        return String.join("\n", java.util.Arrays.asList(l).subList(Math.max(0, l.length - lines), l.length));
    }
}

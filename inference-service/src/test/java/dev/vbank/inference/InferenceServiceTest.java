package dev.vbank.inference;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;

import ai.djl.ndarray.NDManager;
import dev.vbank.text.data.Dataset;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.eval.ScoringAdapter;
import dev.vbank.text.eval.SuiteEvaluator;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.text.tokenize.Encoding;
import dev.vbank.text.tokenize.Padding;
import dev.vbank.text.train.FineTuner;
import dev.vbank.text.train.Method;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.model.Batch;
import dev.vbank.vblora.serve.AdapterVariants;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The inference-service against the real artifact-service (a separate process on the testkit's PostgreSQL and S3) and
 * the real all-MiniLM-L6-v2: adapters trained here in a few steps are uploaded, then served — predictions equal the
 * evaluation's scores, tenants cannot reach each other's adapters, bad input is a 4xx naming the field,
 * and with the artifact-service gone cached adapters keep answering while uncached ones get a 503.
 */
@QuarkusTest
@WithTestResource(ArtifactServiceProcess.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InferenceServiceTest {

    private static final String MODEL = "all-minilm-l6-v2";
    private static final List<String> TEXTS = List.of("great product, works as described",
            "terrible, it broke after a day", "I would buy it again", "not worth the money",
            "excellent sound and a long cable", "arrived late and scratched");

    static String tenant;
    static final List<String> ids = new ArrayList<>();
    static final List<byte[]> bytes = new ArrayList<>();

    @BeforeAll
    static void adapters() throws Exception {
        tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        Path dir = Files.createTempDirectory("inference-test");
        List<Dataset.Row> rows = new ArrayList<>();
        for (int i = 0; i < TEXTS.size(); i++) {
            rows.add(new Dataset.Row(TEXTS.get(i), null, i % 2 == 0 ? 1 : 0, Double.NaN, i + 1));
        }
        Dataset data = new Dataset(TaskType.CLASSIFICATION, List.of("negative", "positive"), false, rows);
        try (FineTuner tuner = new FineTuner(new BaseModelStore(Path.of("target/test-cache/models")))) {
            for (Method m : List.of(Method.VBLORA, Method.LORA)) {
                TrainingSpec spec = TrainingSpec.builder(MODEL).method(m).maxSteps(2).batchSize(3).maxSeqLength(32)
                        .warmupRatio(0).seed(3).build();
                bytes.add(Files.readAllBytes(tuner.run(spec, data, null, dir.resolve(m.id()),
                        FineTuner.RunOptions.defaults()).adapterFile()));
            }
        }
        // a third, distinct adapter made from the first
        bytes.add(CompactFormat.write(AdapterVariants.perturb(CompactFormat.read(bytes.get(0)), 7, 0.5),
                CompactFormat.Options.FP32));
        for (int i = 0; i < bytes.size(); i++) {
            ids.add(upload(tenant, "job-" + tenant + "-" + i, bytes.get(i)));
        }
    }

    static String upload(String tenant, String job, byte[] adapter) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                ArtifactServiceProcess.url() + "/internal/tenants/" + tenant + "/adapters?job_id=" + job
                        + "&base_model=" + MODEL + "&training_file=file-x"))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(adapter)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JsonPath.from(r.body()).getString("id");
    }

    static JsonPath predict(String tenant, Object body, int status) {
        return given().contentType(ContentType.JSON).body(body)
                .post("/internal/tenants/{t}/predictions", tenant)
                .then().statusCode(status).extract().jsonPath();
    }

    @Test
    @Order(1)
    void predictionsEqualTheEvaluationPathForEveryAdapter() throws Exception {
        try (FineTuner tuner = new FineTuner(new BaseModelStore(Path.of("target/test-cache/models")));
             SuiteEvaluator evaluator = new SuiteEvaluator(tuner);
             NDManager scope = ai.djl.engine.Engine.getEngine("PyTorch").newBaseManager()) {
            // all adapters at once, so they share batches
            List<CompletableFuture<JsonPath>> answers = new ArrayList<>();
            for (String id : ids) {
                answers.add(CompletableFuture.supplyAsync(() -> predict(tenant, Map.of("adapter", id, "inputs", TEXTS),
                        200)));
            }
            for (int a = 0; a < ids.size(); a++) {
                JsonPath j = answers.get(a).join();
                assertThat(j.getString("object")).isEqualTo("list");
                assertThat(j.getString("adapter")).isEqualTo(ids.get(a));
                assertThat(j.getString("model")).isEqualTo(MODEL);
                assertThat(j.getList("data")).hasSize(TEXTS.size());
                assertThat(j.getInt("usage.inputs")).isEqualTo(TEXTS.size());
                assertThat(j.getInt("usage.tokens")).isGreaterThan(TEXTS.size() * 3);
                try (ScoringAdapter m = evaluator.load(bytes.get(a))) {
                    for (int i = 0; i < TEXTS.size(); i++) {
                        Encoding e = m.tokenizer().encode(TEXTS.get(i));
                        var padded = m.tokenizer().pad(new Encoding[] {e}, Padding.LONGEST);
                        float[] z = m.predict(scope, new Batch(1, padded.length(), padded.inputIds(),
                                padded.attentionMask(), padded.tokenTypeIds(), null));
                        double p1 = 1 / (1 + Math.exp(z[0] - z[1]));
                        assertThat(j.getInt("data[" + i + "].index")).isEqualTo(i);
                        assertThat(j.getDouble("data[" + i + "].probabilities.positive"))
                                .isCloseTo(p1, org.assertj.core.api.Assertions.within(1e-5));
                        assertThat(j.getString("data[" + i + "].label")).isEqualTo(z[1] > z[0] ? "positive"
                                : "negative");
                    }
                }
            }
        }
    }

    @Test
    @Order(2)
    void pairsEmbeddingsAndTruncationAreReported() {
        JsonPath pairs = predict(tenant, Map.of("adapter", ids.get(0), "inputs",
                List.of(Map.of("text_a", "good", "text_b", "bad"), "fine")), 200);
        assertThat(pairs.getList("data")).hasSize(2);
        String longText = "word ".repeat(300);
        JsonPath truncated = predict(tenant, Map.of("adapter", ids.get(0), "inputs", List.of(longText)), 200);
        assertThat(truncated.getInt("usage.truncated")).isEqualTo(1);
        assertThat(truncated.getInt("usage.tokens")).isEqualTo(32);

        given().contentType(ContentType.JSON).body(Map.of("model", MODEL, "input", List.of("hello", "world")))
                .post("/internal/tenants/{t}/embeddings", tenant)
                .then().statusCode(200).body("object", equalTo("list")).body("model", equalTo(MODEL))
                .body("data", hasSize(2)).body("data[0].object", equalTo("embedding"))
                .body("data[1].index", equalTo(1)).body("data[0].embedding", hasSize(384))
                .body("usage.prompt_tokens", equalTo(6));
        JsonPath base = given().contentType(ContentType.JSON).body(Map.of("model", MODEL, "input", "hello"))
                .post("/internal/tenants/{t}/embeddings", tenant).then().statusCode(200).extract().jsonPath();
        JsonPath adapted = given().contentType(ContentType.JSON).body(Map.of("adapter", ids.get(1), "input", "hello"))
                .post("/internal/tenants/{t}/embeddings", tenant).then().statusCode(200)
                .body("adapter", equalTo(ids.get(1))).extract().jsonPath();
        List<Float> b = base.getList("data[0].embedding", Float.class);
        List<Float> a = adapted.getList("data[0].embedding", Float.class);
        assertThat(a).hasSize(384).isNotEqualTo(b);
    }

    @Test
    @Order(3)
    void badInputIsA4xxNamingTheFieldAndForeignAdaptersAre404() {
        assertThat(predict(tenant, Map.of("inputs", List.of("x")), 400).getString("error.param")).isEqualTo("adapter");
        assertThat(predict(tenant, Map.of("adapter", ids.get(0)), 400).getString("error.param")).isEqualTo("inputs");
        assertThat(predict(tenant, Map.of("adapter", ids.get(0), "inputs", List.of()), 400).getString("error.param"))
                .isEqualTo("inputs");
        assertThat(predict(tenant, Map.of("adapter", ids.get(0), "inputs", List.of("a", 3)), 400)
                .getString("error.param")).isEqualTo("inputs[1]");
        assertThat(predict(tenant, Map.of("adapter", ids.get(0), "inputs", List.of("a", "")), 400)
                .getString("error.param")).isEqualTo("inputs[1]");
        assertThat(predict(tenant, Map.of("adapter", ids.get(0), "inputs", List.of("x".repeat(2001))), 400)
                .getString("error.param")).isEqualTo("inputs[0]");
        assertThat(predict(tenant, Map.of("adapter", ids.get(0), "inputs", List.of("1", "2", "3", "4", "5", "6", "7",
                "8", "9")), 400).getString("error.message")).contains("at most 8");
        assertThat(predict(tenant, Map.of("adapter", ids.get(0), "inputs", List.of(Map.of("text_b", "x"))), 400)
                .getString("error.param")).isEqualTo("inputs[0].text_a");
        assertThat(predict(tenant, Map.of("adapter", ids.get(0), "inputs", List.of("x"), "extra", 1), 400)
                .getString("error.param")).isEqualTo("extra");
        assertThat(predict(tenant, Map.of("adapter", "../x", "inputs", List.of("x")), 400).getString("error.param"))
                .isEqualTo("adapter");
        given().contentType(ContentType.JSON).body("{not json").post("/internal/tenants/{t}/predictions", tenant)
                .then().statusCode(400).body("error.code", notNullValue());
        given().contentType(ContentType.JSON).body(Map.of("input", "x"))
                .post("/internal/tenants/{t}/embeddings", tenant).then().statusCode(400)
                .body("error.param", equalTo("model"));
        given().contentType(ContentType.JSON).body(Map.of("model", "no-such-model", "input", "x"))
                .post("/internal/tenants/{t}/embeddings", tenant).then().statusCode(404)
                .body("error.param", equalTo("model"));
        given().contentType(ContentType.JSON).body(Map.of("model", "bge-small-en-v1.5", "adapter", ids.get(0),
                        "input", "x"))
                .post("/internal/tenants/{t}/embeddings", tenant).then().statusCode(400)
                .body("error.param", equalTo("model"));
        // another tenant's adapter, cached here or not, does not exist for this tenant
        JsonPath foreign = predict("other" + tenant, Map.of("adapter", ids.get(0), "inputs", List.of("x")), 404);
        assertThat(foreign.getString("error.code")).isEqualTo("not_found");
        assertThat(foreign.getString("error.param")).isEqualTo("adapter");
        predict(tenant, Map.of("adapter", "adapter-000000000000000000000000", "inputs", List.of("x")), 404);
    }

    @Test
    @Order(4)
    void withTheArtifactServiceDownCachedAdaptersAnswerAndUncachedOnesGet503() throws Exception {
        String late = upload(tenant, "job-" + tenant + "-late", CompactFormat.write(
                AdapterVariants.perturb(CompactFormat.read(bytes.get(1)), 9, 0.5), CompactFormat.Options.FP32));
        predict(tenant, Map.of("adapter", ids.get(0), "inputs", List.of("still here")), 200);
        ArtifactServiceProcess.stopProcess();
        try {
            JsonPath cached = predict(tenant, Map.of("adapter", ids.get(0), "inputs", List.of("still here")), 200);
            assertThat(cached.getList("data")).hasSize(1);
            JsonPath uncached = predict(tenant, Map.of("adapter", late, "inputs", List.of("x")), 503);
            assertThat(uncached.getString("error.code")).isEqualTo("service_unavailable");
            assertThat(uncached.getString("error.message")).contains("artifact-service").contains(late);
        } finally {
            ArtifactServiceProcess.startProcess();
        }
        predict(tenant, Map.of("adapter", late, "inputs", List.of("x")), 200);
    }
}

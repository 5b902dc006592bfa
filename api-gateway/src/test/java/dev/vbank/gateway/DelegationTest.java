package dev.vbank.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;

@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres"))
@WithTestResource(StubServicesResource.class)
class DelegationTest {

    static final String JOB = """
            {"model": "all-minilm-l6-v2", "training_file": "file-abc", "method": {"type": "vblora",
             "hyperparameters": {"n_epochs": 2}}, "metadata": {"team": "nlp"}}""";

    @ConfigProperty(name = "vbank.scheduler.url")
    String stub;

    @BeforeEach
    void up() {
        Gw.call(stub, "POST", "/__stub/down", "false");
    }

    @Test
    void jobsGoToTheSchedulerUnderTheKeysTenantWithTheIdempotencyKey() {
        Gw.T t = Gw.tenant("jobs");
        Gw.clearStub(stub);
        String id = Gw.as(t).header("Idempotency-Key", "run-42").contentType(ContentType.JSON).body(JOB)
                .post("/v1/fine_tuning/jobs").then().statusCode(200)
                .header("Idempotent-Replayed", "false")
                .body("status", is("validating_files")).extract().path("id");
        Gw.as(t).header("Idempotency-Key", "run-42").contentType(ContentType.JSON).body(JOB)
                .post("/v1/fine_tuning/jobs").then().statusCode(200).header("Idempotent-Replayed", "true")
                .body("id", is(id));
        List<JsonNode> creates = Gw.stubRequests(stub).stream()
                .filter(r -> r.get("method").asText().equals("POST") && r.get("path").asText().endsWith("/jobs")).toList();
        assertThat(creates).hasSize(2).allSatisfy(r -> {
            assertThat(r.get("path").asText()).isEqualTo("/internal/tenants/" + t.id() + "/jobs");
            assertThat(r.get("idempotency_key").asText()).isEqualTo("run-42");
            assertThat(r.get("body_sha256").asText()).isEqualTo(StubServices.sha256(JOB.getBytes(StandardCharsets.UTF_8)));
        });

        Gw.as(t).get("/v1/fine_tuning/jobs/" + id).then().statusCode(200).body("id", is(id));
        Gw.as(t).queryParam("metadata[team]", "nlp").queryParam("limit", "5").get("/v1/fine_tuning/jobs").then()
                .statusCode(200).body("object", is("list")).body("data", hasSize(1)).body("has_more", is(false));
        Gw.as(t).queryParam("metadata[team]", "vision").get("/v1/fine_tuning/jobs").then().statusCode(200)
                .body("data", hasSize(0));
        JsonNode list = Gw.stubRequests(stub).stream().filter(r -> r.get("method").asText().equals("GET")
                && r.get("path").asText().endsWith("/jobs") && r.get("query").has("metadata[team]")).findFirst()
                .orElseThrow();
        assertThat(list.get("query").get("metadata[team]").asText()).isEqualTo("nlp");
        assertThat(list.get("query").get("limit").asText()).isEqualTo("5");

        Gw.as(t).get("/v1/fine_tuning/jobs/" + id + "/checkpoints").then().statusCode(200)
                .body("data[0].fine_tuning_job_id", is(id));
        Gw.as(t).get("/v1/fine_tuning/jobs/" + id + "/events").then().statusCode(200)
                .body("data[0].type", is("state")).body("has_more", is(false));
        Gw.as(t).post("/v1/fine_tuning/jobs/" + id + "/cancel").then().statusCode(200).body("status", is("cancelled"));
        // a downstream 4xx passes through unchanged
        String conflict = Gw.as(t).post("/v1/fine_tuning/jobs/" + id + "/cancel").then().statusCode(409)
                .body("error.code", is("job_not_cancellable")).extract().asString();
        assertThat(conflict).isEqualTo("{\"error\":{\"code\":\"job_not_cancellable\",\"message\":\"job " + id
                + " is already cancelled\",\"param\":null}}");
        Gw.as(t).contentType(ContentType.JSON).body(JOB.replace("all-minilm-l6-v2", "gpt-5"))
                .post("/v1/fine_tuning/jobs").then().statusCode(400).body("error.param", is("model"))
                .body("error.message", is("unknown model 'gpt-5'"));
    }

    @Test
    void tenantsSeeOnlyTheirOwnJobsAndFiles() {
        Gw.T a = Gw.tenant("a");
        Gw.T b = Gw.tenant("b");
        String job = Gw.as(a).contentType(ContentType.JSON).body(JOB).post("/v1/fine_tuning/jobs").then().statusCode(200)
                .extract().path("id");
        String file = Gw.as(a).queryParam("filename", "a.jsonl").contentType("application/octet-stream")
                .body("{\"text\":\"x\",\"label\":\"y\"}\n".getBytes(StandardCharsets.UTF_8)).post("/v1/files").then().statusCode(201).extract().path("id");
        Gw.clearStub(stub);
        Gw.as(b).get("/v1/fine_tuning/jobs/" + job).then().statusCode(404).body("error.code", is("job_not_found"));
        Gw.as(b).post("/v1/fine_tuning/jobs/" + job + "/cancel").then().statusCode(404);
        Gw.as(b).get("/v1/fine_tuning/jobs/" + job + "/events").then().statusCode(404);
        Gw.as(b).get("/v1/files/" + file).then().statusCode(404).body("error.code", is("file_not_found"));
        Gw.as(b).get("/v1/files/" + file + "/content").then().statusCode(404);
        Gw.as(b).delete("/v1/files/" + file).then().statusCode(404);
        Gw.as(b).get("/v1/fine_tuning/jobs").then().statusCode(200).body("data", hasSize(0));
        Gw.as(b).get("/v1/files").then().statusCode(200).body("data", hasSize(0));
        // the client cannot name a tenant: unknown parameters are refused, headers are ignored
        Gw.as(b).queryParam("tenant", a.id()).get("/v1/fine_tuning/jobs").then().statusCode(400)
                .body("error.param", is("tenant"));
        Gw.as(b).header("X-Tenant", a.id()).get("/v1/fine_tuning/jobs/" + job).then().statusCode(404);
        assertThat(Gw.stubRequests(stub)).isNotEmpty()
                .allSatisfy(r -> assertThat(r.get("path").asText()).startsWith("/internal/tenants/" + b.id() + "/"));
        Gw.as(a).get("/v1/fine_tuning/jobs/" + job).then().statusCode(200);
        Gw.as(a).get("/v1/files/" + file).then().statusCode(200).body("filename", is("a.jsonl"));
    }

    @Test
    void filesUploadAsMultipartOrRawBodyAndStreamBack() {
        Gw.T t = Gw.tenant("files");
        byte[] data = "{\"text\":\"good\",\"label\":\"pos\"}\n{\"text\":\"bad\",\"label\":\"neg\"}\n"
                .getBytes(StandardCharsets.UTF_8);
        Gw.clearStub(stub);
        String id = Gw.as(t).multiPart("file", "train.jsonl", data, "application/jsonl").multiPart("purpose", "fine-tune")
                .post("/v1/files").then().statusCode(201).body("filename", is("train.jsonl"))
                .body("bytes", is(data.length)).body("purpose", is("fine-tune")).extract().path("id");
        JsonNode upload = Gw.stubRequests(stub).stream().filter(r -> r.get("method").asText().equals("POST"))
                .findFirst().orElseThrow();
        assertThat(upload.get("path").asText()).isEqualTo("/internal/tenants/" + t.id() + "/files");
        assertThat(upload.get("query").get("filename").asText()).isEqualTo("train.jsonl");
        assertThat(upload.get("query").get("purpose").asText()).isEqualTo("fine-tune");
        assertThat(upload.get("content_type").asText()).isEqualTo("application/octet-stream");
        assertThat(upload.get("body_sha256").asText()).isEqualTo(StubServices.sha256(data));

        String raw = Gw.as(t).queryParam("filename", "eval.csv").contentType("text/csv").body("text,label\na,b\n".getBytes(StandardCharsets.UTF_8))
                .post("/v1/files").then().statusCode(201).body("filename", is("eval.csv")).extract().path("id");
        byte[] back = Gw.as(t).get("/v1/files/" + id + "/content").then().statusCode(200)
                .header("X-Vbank-Sha256", StubServices.sha256(data)).extract().asByteArray();
        assertThat(back).isEqualTo(data);
        Gw.as(t).get("/v1/files").then().statusCode(200).body("data", hasSize(2)).body("data[0].id", is(raw));
        Gw.as(t).queryParam("limit", "1").get("/v1/files").then().statusCode(200).body("data", hasSize(1))
                .body("has_more", is(true));
        Gw.as(t).delete("/v1/files/" + raw).then().statusCode(200).body("deleted", is(true));
        Gw.as(t).get("/v1/files/" + raw).then().statusCode(404);
    }

    @Test
    void aChunkedUploadOverTheCapIsCutOffWith413() throws Exception {
        Gw.T t = Gw.tenant("chunked");
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        byte[] big = new byte[1_200_000];
        java.util.Arrays.fill(big, (byte) 'x');
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:"
                        + io.restassured.RestAssured.port + "/v1/files?filename=big.jsonl"))
                .header("Authorization", "Bearer " + t.key()).header("Content-Type", "application/octet-stream")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big)))
                .build();
        var response = http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(request.bodyPublisher().orElseThrow().contentLength()).as("sent chunked, no length").isEqualTo(-1);
        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(Gw.JSON.readTree(response.body()).get("error").get("code").asText()).isEqualTo("file_too_large");
        Gw.as(t).get("/v1/files").then().statusCode(200).body("data", hasSize(0));
    }

    @Test
    void adaptersAndModels() {
        Gw.T t = Gw.tenant("adapters");
        String adapter = "adapter-" + "0".repeat(23) + "1";
        Gw.call(stub, "POST", "/__stub/tenants/" + t.id() + "/adapters/" + adapter, "");
        Gw.as(t).get("/v1/adapters/" + adapter).then().statusCode(200).body("format", is("vbank-compact"));
        byte[] compact = Gw.as(t).get("/v1/adapters/" + adapter + "/content").then().statusCode(200)
                .extract().asByteArray();
        byte[] peft = Gw.as(t).queryParam("format", "peft").get("/v1/adapters/" + adapter + "/content").then()
                .statusCode(200).contentType("application/zip")
                .header("Content-Disposition", "attachment; filename=\"" + adapter + ".peft\"").extract().asByteArray();
        assertThat(compact).hasSize(300_000);
        assertThat(peft).hasSize(300_000).isNotEqualTo(compact);
        assertThat(peft[1]).isEqualTo((byte) (31 + 4));
        Gw.as(t).queryParam("format", "onnx").get("/v1/adapters/" + adapter + "/content").then().statusCode(400)
                .body("error.param", is("format"));
        Gw.as(Gw.tenant("other")).get("/v1/adapters/" + adapter).then().statusCode(404);

        Gw.as(t).get("/v1/models").then().statusCode(200).body("object", is("list")).body("data", hasSize(2))
                .body("data[0].id", is("all-minilm-l6-v2")).body("data[0].object", is("model"))
                .body("data[0].owned_by", is("vbank")).body("data[1].layers", is(12));
    }

    @Test
    void aDroppedArtifactServiceConnectionIsTriedAgain() {
        Gw.T t = Gw.tenant("flaky");
        Gw.call(stub, "DELETE", "/__stub/requests", "");
        Gw.call(stub, "POST", "/__stub/drop", "2");
        Gw.as(t).get("/v1/models").then().statusCode(200).body("data", hasSize(2));
        JsonNode requests = Gw.call(stub, "GET", "/__stub/requests", "");
        long baseModelCalls = 0;
        for (JsonNode r : requests) {
            baseModelCalls += r.path("path").asText().equals("/internal/base-models") ? 1 : 0;
        }
        assertThat(baseModelCalls).isEqualTo(3);
    }

    @Test
    void predictionsAndEmbeddingsGoToTheInferenceServiceUnderTheKeysTenant() {
        Gw.T t = Gw.tenant("inference");
        String adapter = "adapter-" + "0".repeat(23) + "7";
        Gw.call(stub, "POST", "/__stub/tenants/" + t.id() + "/adapters/" + adapter, "");
        Gw.as(t).contentType(ContentType.JSON).body("{\"adapter\": \"" + adapter + "\", \"inputs\": [\"good\"]}")
                .post("/v1/predictions").then().statusCode(200).body("tenant", is(t.id()))
                .body("endpoint", is("predictions")).body("request.inputs[0]", is("good"));
        Gw.as(t).contentType(ContentType.JSON).body("{\"model\": \"all-minilm-l6-v2\", \"input\": \"hi\"}")
                .post("/v1/embeddings").then().statusCode(200).body("tenant", is(t.id()))
                .body("endpoint", is("embeddings"));
        // another tenant naming the adapter gets the inference-service's 404 as it is
        Gw.as(Gw.tenant("inference-other")).contentType(ContentType.JSON)
                .body("{\"adapter\": \"" + adapter + "\", \"inputs\": [\"good\"]}").post("/v1/predictions").then()
                .statusCode(404).body("error.param", is("adapter"));
        Gw.as(t).contentType(ContentType.JSON).body("[1, 2]").post("/v1/predictions").then().statusCode(400);
        Gw.as(t).contentType(ContentType.JSON).body("{\"adapter\": ").post("/v1/predictions").then().statusCode(400);
        Gw.call(stub, "POST", "/__stub/down", "true");
        try {
            Gw.as(t).contentType(ContentType.JSON).body("{\"model\": \"all-minilm-l6-v2\", \"input\": \"hi\"}")
                    .post("/v1/embeddings").then().statusCode(503).body("error.code", is("service_unavailable"))
                    .body("error.message", org.hamcrest.Matchers.containsString("inference-service"));
        } finally {
            Gw.call(stub, "POST", "/__stub/down", "false");
        }
    }

    @Test
    void anUnreachableServiceIs503() {
        Gw.T t = Gw.tenant("down");
        Gw.call(stub, "POST", "/__stub/down", "true");
        try {
            Gw.as(t).get("/v1/fine_tuning/jobs").then().statusCode(503).body("error.code", is("service_unavailable"));
            Gw.as(t).get("/v1/models").then().statusCode(503).body("error.code", is("service_unavailable"));
            Gw.as(t).get("/v1/files/file-1/content").then().statusCode(503)
                    .body("error.code", is("service_unavailable"));
            Gw.as(t).contentType(ContentType.JSON).body(JOB).post("/v1/fine_tuning/jobs").then().statusCode(503)
                    .body("error.code", is("service_unavailable"));
        } finally {
            Gw.call(stub, "POST", "/__stub/down", "false");
        }
        Gw.as(t).get("/v1/fine_tuning/jobs").then().statusCode(200);
    }
}

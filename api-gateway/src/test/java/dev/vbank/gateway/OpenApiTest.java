package dev.vbank.gateway;

import dev.vbank.common.spec.Hyperparameter;
import dev.vbank.common.spec.Hyperparameters;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres"))
@WithTestResource(StubServicesResource.class)
@SuppressWarnings("unchecked")
class OpenApiTest {

    @Test
    void documentsEveryPublicOperationWithTheBearerScheme() {
        JsonPath doc = given().accept(ContentType.JSON).get("/q/openapi?format=json").then().statusCode(200)
                .extract().jsonPath();
        Map<String, Map<String, Object>> paths = doc.getMap("paths");
        Map<String, List<String>> expected = Map.of(
                "/v1/files", List.of("get", "post"),
                "/v1/files/{id}", List.of("get", "delete"),
                "/v1/files/{id}/content", List.of("get"),
                "/v1/fine_tuning/jobs", List.of("get", "post"),
                "/v1/fine_tuning/jobs/{id}", List.of("get"),
                "/v1/fine_tuning/jobs/{id}/cancel", List.of("post"),
                "/v1/fine_tuning/jobs/{id}/events", List.of("get"),
                "/v1/fine_tuning/jobs/{id}/checkpoints", List.of("get"),
                "/v1/adapters/{id}", List.of("get"),
                "/v1/adapters/{id}/content", List.of("get"));
        expected.forEach((path, methods) -> assertThat(paths).as(path).containsKey(path));
        expected.forEach((path, methods) -> assertThat(paths.get(path)).as(path).containsKeys(methods.toArray(String[]::new)));
        assertThat(paths).containsKeys("/v1/models", "/admin/tenants", "/admin/tenants/{id}/keys");
        Map.of("/v1/evaluation_suites", List.of("get", "post"), "/v1/evaluation_suites/{id}", List.of("get"),
                "/v1/evaluations", List.of("get", "post"), "/v1/evaluations/{id}", List.of("get"),
                "/v1/evaluations/{id}/cancel", List.of("post"), "/v1/evaluations/{id}/results", List.of("get"),
                "/v1/evaluations/{id}/report", List.of("get"), "/v1/adapters/{id}/evaluation_results", List.of("get"))
                .forEach((path, methods) -> assertThat(paths.get(path)).as(path).isNotNull()
                        .containsKeys(methods.toArray(String[]::new)));
        assertThat(doc.getMap("paths.'/v1/evaluations/{id}/report'.get.responses.'200'.content"))
                .containsKeys("application/json", "text/csv");
        assertThat(doc.getMap("components.schemas")).containsKeys("CreateEvaluationRequest", "Evaluation",
                "EvaluationReport", "EvaluationResult", "CreateEvaluationSuiteRequest", "EvaluationSuite");
        assertThat(doc.getString("components.securitySchemes.bearer.scheme")).isEqualTo("bearer");
        assertThat(doc.getString("components.securitySchemes.bearer.type")).isEqualTo("http");
        assertThat(doc.getList("paths.'/v1/fine_tuning/jobs'.post.security.bearer")).isNotNull();
        assertThat(doc.getString("paths.'/v1/fine_tuning/jobs'.post.summary")).isNotBlank();
        assertThat(doc.getMap("paths.'/v1/fine_tuning/jobs/{id}/events'.get.responses.'200'.content"))
                .containsKeys("application/json", "text/event-stream");
        assertThat(doc.getMap("components.schemas")).containsKeys("FineTuningJob", "CreateFineTuningJobRequest",
                "CreateTenantRequest", "JobEvent");
        assertThat(doc.getMap("paths.'/v1/files'.post.requestBody.content")).containsKey("multipart/form-data");
    }

    @Test
    void describesEveryHyperparameterOfTheJobSpec() {
        JsonPath doc = given().accept(ContentType.JSON).get("/q/openapi?format=json").then().statusCode(200)
                .extract().jsonPath();
        Map<String, Map<String, Object>> properties = doc.getMap("components.schemas.Hyperparameters.properties");
        assertThat(properties).containsOnlyKeys(Hyperparameters.ALL.stream().map(Hyperparameter::name)
                .toArray(String[]::new));
        assertThat(properties.get("num_vectors")).containsEntry("minimum", 1).containsEntry("maximum", 65536);
        assertThat(properties.get("num_vectors").get("description").toString()).contains("bank", "vblora",
                "Default: 90.");
        // a `default` would be filled into every request by a generated client, and a value sent is a value set
        properties.forEach((name, p) -> assertThat(p).as(name).doesNotContainKey("default"));
        assertThat(properties.get("lr_head")).containsEntry("exclusiveMinimum", 0).containsEntry("maximum", 1);
        assertThat(properties.get("r").get("description").toString()).contains("vblora 4", "lora 8");
        assertThat(doc.getList("components.schemas.FineTuningMethod.properties.type.enum"))
                .containsExactly("vblora", "lora", "head_only");
        assertThat(doc.getString("components.schemas.CreateFineTuningJobRequest.properties.method.$ref"))
                .endsWith("/FineTuningMethod");
        assertThat(doc.getList("components.schemas.CreateFineTuningJobRequest.properties.model.enum"))
                .containsExactly("all-minilm-l6-v2", "bge-small-en-v1.5", "e5-small-v2");
    }

    /** What a client generator reads: snake_case names as on the wire, a schema for every JSON answer, errors typed. */
    @Test
    void theDocumentMatchesTheWire() {
        JsonPath doc = given().accept(ContentType.JSON).get("/q/openapi?format=json").then().statusCode(200)
                .extract().jsonPath();
        Map<String, Map<String, Object>> schemas = doc.getMap("components.schemas");
        assertThat(schemas).containsKeys("File", "FileList", "FileDeleted", "Adapter", "BankUsage", "Checkpoint",
                "CheckpointList", "ModelList", "Error", "FineTuningJob", "JobEvent");
        schemas.forEach((name, schema) -> {
            Map<String, Object> props = (Map<String, Object>) schema.get("properties");
            if (props != null) {
                assertThat(props.keySet()).as("properties of " + name).allMatch(p -> p.matches("[a-z0-9_]+"));
            }
        });
        assertThat(((Map<String, Object>) schemas.get("FineTuningJob").get("properties"))).containsKeys("created_at",
                "training_file");
        assertThat(((Map<String, Object>) schemas.get("FileList").get("properties"))).containsKey("has_more");
        Map<String, Map<String, Map<String, Object>>> paths = doc.getMap("paths");
        paths.forEach((path, ops) -> ops.forEach((method, op) -> {
            if (!path.startsWith("/v1/")) {
                return;
            }
            String where = method.toUpperCase() + " " + path;
            Map<String, Map<String, Object>> responses = (Map<String, Map<String, Object>>) op.get("responses");
            assertThat(responses).as(where).containsKey("default");
            assertThat(doc.getString("paths.'" + path + "'." + method + ".responses.default.content.'application/json'"
                    + ".schema.$ref")).as(where).isEqualTo("#/components/schemas/Error");
            boolean success = false;
            for (Map.Entry<String, Map<String, Object>> r : responses.entrySet()) {
                if (!r.getKey().startsWith("2")) {
                    continue;
                }
                success = true;
                Map<String, Map<String, Object>> content = (Map<String, Map<String, Object>>) r.getValue().get("content");
                assertThat(content).as(where + " " + r.getKey() + " content").isNotEmpty();
                content.forEach((media, body) -> assertThat(body.get("schema")).as(where + " " + media).isNotNull());
            }
            assertThat(success).as(where + " documents its success").isTrue();
        }));
        assertThat(doc.getMap("paths.'/v1/adapters'.post.requestBody.content")).containsKeys("multipart/form-data",
                "application/zip");
        assertThat(doc.getMap("paths.'/v1/adapters/{id}/content'.get.responses.'200'.content"))
                .containsKeys("application/octet-stream", "application/zip");
        // every JSON request body is a declared schema, not a bare object
        paths.forEach((path, ops) -> ops.forEach((method, op) -> {
            String media = "paths.'" + path + "'." + method + ".requestBody.content.'application/json'";
            if (path.startsWith("/v1/") && doc.get(media) != null) {
                assertThat(doc.getString(media + ".schema.$ref")).as(method.toUpperCase() + " " + path + " body")
                        .startsWith("#/components/schemas/");
            }
        }));
    }

    /** Predictions and embeddings: the inference-service's bodies, field by field, snake_case as it reads and writes. */
    @Test
    void theInferenceBodiesAreTheInferenceServices() {
        JsonPath doc = given().accept(ContentType.JSON).get("/q/openapi?format=json").then().statusCode(200)
                .extract().jsonPath();
        String prefix = "#/components/schemas/";
        assertThat(doc.getString("paths.'/v1/predictions'.post.requestBody.content.'application/json'.schema.$ref"))
                .isEqualTo(prefix + "PredictionRequest");
        assertThat(doc.getString("paths.'/v1/predictions'.post.responses.'200'.content.'application/json'.schema.$ref"))
                .isEqualTo(prefix + "PredictionList");
        assertThat(doc.getString("paths.'/v1/embeddings'.post.requestBody.content.'application/json'.schema.$ref"))
                .isEqualTo(prefix + "EmbeddingRequest");
        assertThat(doc.getString("paths.'/v1/embeddings'.post.responses.'200'.content.'application/json'.schema.$ref"))
                .isEqualTo(prefix + "EmbeddingList");
        for (String path : List.of("/v1/predictions", "/v1/embeddings")) {
            assertThat(doc.getMap("paths.'" + path + "'.post.responses")).as(path).containsKeys("400", "404", "503");
        }

        String schemas = "components.schemas.";
        assertThat(doc.getMap(schemas + "PredictionRequest.properties")).containsOnlyKeys("adapter", "inputs");
        assertThat(doc.getList(schemas + "PredictionRequest.required")).containsExactlyInAnyOrder("adapter", "inputs");
        assertThat(doc.getString(schemas + "PredictionRequest.properties.inputs.type")).isEqualTo("array");
        assertThat(doc.getString(schemas + "PredictionRequest.properties.inputs.items.$ref"))
                .isEqualTo(prefix + "PredictionInput");
        List<Map<String, Object>> input = doc.getList(schemas + "PredictionInput.oneOf");
        assertThat(input).hasSize(2);
        assertThat(input.get(0)).containsEntry("type", "string");
        assertThat(input.get(1)).containsEntry("$ref", prefix + "TextPair");
        assertThat(doc.getMap(schemas + "TextPair.properties")).containsOnlyKeys("text_a", "text_b");
        assertThat(doc.getList(schemas + "TextPair.required")).containsExactly("text_a");
        assertThat(doc.getMap(schemas + "PredictionList.properties")).containsOnlyKeys("object", "adapter", "model",
                "data", "usage");
        assertThat(doc.getMap(schemas + "Prediction.properties")).containsOnlyKeys("index", "label", "probabilities",
                "value");
        assertThat(doc.getString(schemas + "Prediction.properties.probabilities.additionalProperties.type"))
                .isEqualTo("number");
        assertThat(doc.getMap(schemas + "PredictionUsage.properties")).containsOnlyKeys("inputs", "tokens", "truncated");

        assertThat(doc.getMap(schemas + "EmbeddingRequest.properties")).containsOnlyKeys("model", "adapter", "input",
                "encoding_format");
        assertThat(doc.getList(schemas + "EmbeddingRequest.required")).containsExactly("input");
        assertThat(doc.getString(schemas + "EmbeddingRequest.properties.input.items.type")).isEqualTo("string");
        assertThat(doc.getList(schemas + "EmbeddingRequest.properties.encoding_format.enum")).containsExactly("float");
        assertThat(doc.getMap(schemas + "EmbeddingList.properties")).containsOnlyKeys("object", "data", "model",
                "adapter", "usage");
        assertThat(doc.getList(schemas + "EmbeddingList.required")).doesNotContain("adapter");
        assertThat(doc.getMap(schemas + "Embedding.properties")).containsOnlyKeys("object", "index", "embedding");
        assertThat(doc.getList(schemas + "Embedding.properties.object.enum")).containsExactly("embedding");
        assertThat(doc.getMap(schemas + "EmbeddingUsage.properties")).containsOnlyKeys("prompt_tokens", "total_tokens",
                "inputs", "truncated");
    }

    /** What openapi-generator needs to build a client that works (e2e-tests' GeneratedClientEndToEndTest uses one). */
    @Test
    void theDocumentGeneratesAWorkingClient() {
        JsonPath doc = given().accept(ContentType.JSON).get("/q/openapi?format=json").then().statusCode(200)
                .extract().jsonPath();
        // generators build an operation's method from its first body media type: the forms, not the raw bodies
        for (String path : List.of("/v1/files", "/v1/adapters")) {
            Map<String, Object> content = doc.getMap("paths.'" + path + "'.post.requestBody.content");
            assertThat(content.keySet()).as(path).first().isEqualTo("multipart/form-data");
            List<Map<String, Object>> parameters = doc.getList("paths.'" + path + "'.post.parameters");
            assertThat(parameters == null ? List.<Map<String, Object>>of() : parameters).as(path).noneMatch(p ->
                    Boolean.TRUE.equals(p.get("required")) || "Content-Length".equals(p.get("name")));
        }
        // unset optional collections go out as null, not as empty ones the services would take as set
        assertThat(doc.getList("components.schemas.CreateEvaluationRequest.properties.adapter_filter.type"))
                .containsExactlyInAnyOrder("object", "null");
        assertThat(doc.getList("components.schemas.CreateEvaluationRequest.properties.jobs.type"))
                .containsExactlyInAnyOrder("array", "null");
        assertThat(doc.getList("components.schemas.Hyperparameters.properties.layers_to_transform.type"))
                .containsExactlyInAnyOrder("array", "null");
        assertThat(doc.getString("components.schemas.SuiteTask.properties.metrics.type")).as("required").isEqualTo("array");
        // a oneOf/anyOf alternative that is an array gives the Java client a method named getList<String>(), which
        // does not compile
        Map<String, Map<String, Object>> schemas = doc.getMap("components.schemas");
        schemas.forEach((name, schema) -> assertThat(arrayAlternatives(schema)).as(name).isZero());
        // the document names no server: the one added automatically named the build's host, not the client's gateway
        assertThat(doc.getList("servers")).isNullOrEmpty();
    }

    private static int arrayAlternatives(Object node) {
        int found = 0;
        if (node instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (("oneOf".equals(e.getKey()) || "anyOf".equals(e.getKey())) && e.getValue() instanceof List<?> alts) {
                    found += (int) alts.stream().filter(a -> a instanceof Map<?, ?> m && isArray(m.get("type"))).count();
                }
                found += arrayAlternatives(e.getValue());
            }
        } else if (node instanceof List<?> list) {
            for (Object o : list) {
                found += arrayAlternatives(o);
            }
        }
        return found;
    }

    private static boolean isArray(Object type) {
        return "array".equals(type) || type instanceof List<?> types && types.contains("array");
    }
}

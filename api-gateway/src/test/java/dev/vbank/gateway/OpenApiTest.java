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
        assertThat(properties.get("num_vectors")).containsEntry("default", 90).containsEntry("minimum", 1)
                .containsEntry("maximum", 65536);
        assertThat(properties.get("num_vectors").get("description").toString()).contains("bank", "vblora");
        assertThat(properties.get("lr_head")).containsEntry("exclusiveMinimum", 0).containsEntry("maximum", 1);
        assertThat(properties.get("r").get("description").toString()).contains("vblora 4", "lora 8");
        assertThat(doc.getList("components.schemas.FineTuningMethod.properties.type.enum"))
                .containsExactly("vblora", "lora", "head_only");
        assertThat(doc.getString("components.schemas.CreateFineTuningJobRequest.properties.method.$ref"))
                .endsWith("/FineTuningMethod");
        assertThat(doc.getList("components.schemas.CreateFineTuningJobRequest.properties.model.enum"))
                .containsExactly("all-minilm-l6-v2", "bge-small-en-v1.5", "e5-small-v2");
    }
}

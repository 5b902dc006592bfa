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

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The evaluation resources are thin: they pass the caller's tenant, the body, the Idempotency-Key and the format on. */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres"))
@WithTestResource(StubServicesResource.class)
class EvaluationDelegationTest {

    @ConfigProperty(name = "vbank.scheduler.url")
    String stub;

    @BeforeEach
    void up() {
        Gw.call(stub, "POST", "/__stub/down", "false");
    }

    private List<JsonNode> requests() {
        return Gw.stubRequests(stub).stream().filter(r -> !r.get("path").asText().endsWith("/jobs")).toList();
    }

    @Test
    void evaluationCallsReachTheSchedulerUnderTheKeysTenant() {
        Gw.T t = Gw.tenant("evals");
        Gw.clearStub(stub);
        Gw.as(t).header("Idempotency-Key", "eval-7").contentType(ContentType.JSON)
                .body("{\"suite\": \"sentiment-en\", \"adapters\": [\"adapter-1\"], \"baselines\": [\"head_only\"]}")
                .post("/v1/evaluations");
        Gw.as(t).header("Accept", "text/csv").get("/v1/evaluations/eval-1/report");
        Gw.as(t).get("/v1/evaluations/eval-1/report");
        Gw.as(t).post("/v1/evaluations/eval-1/cancel");
        Gw.as(t).queryParam("name", "my-suite").get("/v1/evaluation_suites");
        List<JsonNode> seen = requests();
        String base = "/internal/tenants/" + t.id();
        assertThat(seen).extracting(r -> r.get("method").asText() + " " + r.get("path").asText())
                .containsExactly("POST " + base + "/evaluations", "GET " + base + "/evaluations/eval-1/report",
                        "GET " + base + "/evaluations/eval-1/report", "POST " + base + "/evaluations/eval-1/cancel",
                        "GET " + base + "/evaluation_suites");
        assertThat(seen.get(0).get("idempotency_key").asText()).isEqualTo("eval-7");
        // the create carries the tenant's job limits (the defaults here): the scheduler admits it under them
        assertThat(seen.get(0).get("max_queued_jobs").asText()).isEqualTo("20");
        assertThat(seen.get(0).get("max_running_jobs").asText()).isEqualTo("4");
        assertThat(seen.get(1).get("query").get("format").asText()).isEqualTo("csv");
        assertThat(seen.get(2).get("query").get("format").asText()).isEqualTo("json");
        assertThat(seen.get(4).get("query").get("name").asText()).isEqualTo("my-suite");
    }

    @Test
    void anotherTenantsAdapterHasNoResultsButA404() {
        Gw.T t = Gw.tenant("results");
        Gw.clearStub(stub);
        Gw.as(t).get("/v1/adapters/adapter-of-someone-else/evaluation_results").then().statusCode(404);
        assertThat(requests()).extracting(r -> r.get("path").asText())
                .containsExactly("/internal/tenants/" + t.id() + "/adapters/adapter-of-someone-else");
    }
}

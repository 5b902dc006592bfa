package dev.vbank.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;

@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres"))
@WithTestResource(StubServicesResource.class)
class QuotaRateLimitTest {

    @ConfigProperty(name = "vbank.scheduler.url")
    String stub;

    private static void create(Gw.T t, int status) {
        Gw.as(t).contentType(ContentType.JSON).body(DelegationTest.JOB).post("/v1/fine_tuning/jobs").then()
                .statusCode(status);
    }

    /** The scheduler enforces the job quotas; the gateway sends the tenant's limits with the create and relays a refusal. */
    @Test
    void queuedAndRunningJobQuotas() {
        Gw.T t = Gw.tenant(Map.of("name", "quota", "quotas", Map.of("max_queued_jobs", 2, "max_running_jobs", 1)));
        create(t, 200);
        create(t, 200);
        Gw.clearStub(stub);
        String refusal = Gw.as(t).contentType(ContentType.JSON).body(DelegationTest.JOB).post("/v1/fine_tuning/jobs")
                .then().statusCode(429).contentType(ContentType.JSON)
                .body("error.code", is("quota_exceeded")).body("error.param", is("max_queued_jobs"))
                .body("error.message", is("quota max_queued_jobs exceeded: the tenant has 2 jobs waiting to start"
                        + " (limit 2); wait for some to start or cancel them"))
                .extract().asString();
        assertThat(refusal).isEqualTo("{\"error\":{\"code\":\"quota_exceeded\",\"message\":\"quota max_queued_jobs"
                + " exceeded: the tenant has 2 jobs waiting to start (limit 2); wait for some to start or cancel them\","
                + "\"param\":\"max_queued_jobs\"}}");
        // one call, carrying the tenant's overrides; no counts asked, no lock held around it
        List<JsonNode> seen = Gw.stubRequests(stub);
        assertThat(seen).extracting(r -> r.get("method").asText() + " " + r.get("path").asText())
                .containsExactly("POST /internal/tenants/" + t.id() + "/jobs");
        assertThat(seen.get(0).get("max_queued_jobs").asText()).isEqualTo("2");
        assertThat(seen.get(0).get("max_running_jobs").asText()).isEqualTo("1");

        String first = Gw.as(t).get("/v1/fine_tuning/jobs").then().extract().path("data[1].id");
        Gw.call(stub, "POST", "/__stub/jobs/" + first + "/events", "{\"type\":\"state\",\"status\":\"running\"}");
        // one running, one queued: room in the queue, but the running quota is full
        Gw.as(t).contentType(ContentType.JSON).body(DelegationTest.JOB).post("/v1/fine_tuning/jobs").then()
                .statusCode(429).body("error.param", is("max_running_jobs"));
        // an evaluation is admitted under the same limits
        Gw.clearStub(stub);
        Gw.as(t).contentType(ContentType.JSON).body("{\"suite\": \"sentiment-en\", \"adapters\": [\"adapter-1\"]}")
                .post("/v1/evaluations").then().statusCode(429).body("error.code", is("quota_exceeded"))
                .body("error.param", is("max_running_jobs"));
        assertThat(Gw.stubRequests(stub)).singleElement().satisfies(r -> {
            assertThat(r.get("path").asText()).isEqualTo("/internal/tenants/" + t.id() + "/evaluations");
            assertThat(r.get("max_queued_jobs").asText()).isEqualTo("2");
            assertThat(r.get("max_running_jobs").asText()).isEqualTo("1");
        });
        Gw.call(stub, "POST", "/__stub/jobs/" + first + "/events", "{\"type\":\"state\",\"status\":\"succeeded\"}");
        create(t, 200);
        // another tenant is not affected, and a tenant without overrides gets the defaults (20 and 4)
        Gw.clearStub(stub);
        create(Gw.tenant("neighbour"), 200);
        assertThat(Gw.stubRequests(stub)).singleElement().satisfies(r -> {
            assertThat(r.get("max_queued_jobs").asText()).isEqualTo("20");
            assertThat(r.get("max_running_jobs").asText()).isEqualTo("4");
        });
    }

    @Test
    void storedBytesQuota() {
        Gw.T t = Gw.tenant(Map.of("name", "bytes", "quotas", Map.of("max_stored_bytes", 100)));
        String row = "{\"text\":\"" + "x".repeat(40) + "\",\"label\":\"a\"}\n"; // 57 bytes
        Gw.as(t).queryParam("filename", "a.jsonl").contentType("application/octet-stream").body(row.getBytes())
                .post("/v1/files").then().statusCode(201);
        Gw.as(t).queryParam("filename", "b.jsonl").contentType("application/octet-stream").body(row.getBytes())
                .post("/v1/files").then().statusCode(429).body("error.code", is("quota_exceeded"))
                .body("error.param", is("max_stored_bytes"));
        Gw.as(t).multiPart("file", "c.jsonl", row.getBytes()).post("/v1/files").then().statusCode(429)
                .body("error.param", is("max_stored_bytes"));
        Gw.as(t).queryParam("filename", "small.jsonl").contentType("application/octet-stream").body("{}\n".getBytes())
                .post("/v1/files").then().statusCode(201);
    }

    @Test
    void rateLimitAnswers429WithRetryAfter() {
        Gw.T t = Gw.tenant(Map.of("name", "slow", "quotas", Map.of("requests_per_second", 0.2, "burst", 3)));
        Gw.T other = Gw.tenant("fast");
        for (int i = 0; i < 3; i++) {
            Gw.as(t).get("/v1/models").then().statusCode(200);
        }
        String retry = Gw.as(t).get("/v1/models").then().statusCode(429)
                .body("error.code", is("rate_limit_exceeded")).extract().header("Retry-After");
        assertThat(Integer.parseInt(retry)).isBetween(1, 5);
        Gw.as(t).get("/v1/fine_tuning/jobs").then().statusCode(429);
        Gw.as(other).get("/v1/models").then().statusCode(200);
    }
}

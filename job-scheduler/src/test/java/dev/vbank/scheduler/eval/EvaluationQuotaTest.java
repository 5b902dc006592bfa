package dev.vbank.scheduler.eval;

import dev.vbank.common.job.JobStatus;
import dev.vbank.scheduler.support.ArtifactStub;
import dev.vbank.scheduler.support.TestSupport;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;

/** An evaluation is admitted under the tenant's job limits, like a fine-tuning job; its items do not count. */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,kafka"))
@WithTestResource(ArtifactStub.class)
class EvaluationQuotaTest {

    @Inject
    DataSource dataSource;

    private static ValidatableResponse create(String tenant, String key, int maxQueued, int maxRunning, String body) {
        var request = given().contentType(ContentType.JSON).body(body)
                .header("X-Vbank-Max-Queued-Jobs", String.valueOf(maxQueued))
                .header("X-Vbank-Max-Running-Jobs", String.valueOf(maxRunning));
        if (key != null) {
            request = request.header("Idempotency-Key", key);
        }
        return request.post("/internal/tenants/{t}/evaluations", tenant).then();
    }

    private long evaluations(String tenant) throws Exception {
        return TestSupport.count(dataSource, "select count(*) from scheduler.evaluations where tenant_id = ?", tenant);
    }

    @Test
    void anEvaluationIsRefusedWhenTheTenantsJobLimitsAreReached() throws Exception {
        String tenant = TestSupport.tenant("evquota");
        EvalFixture.Trained a = EvalFixture.trained(dataSource, tenant, "vblora", Map.of());
        String body = "{\"suite\": \"sentiment-en\", \"adapters\": [\"" + a.adapterId() + "\"]}";
        TestSupport.insertJob(dataSource, tenant, JobStatus.QUEUED, 0);
        TestSupport.insertJob(dataSource, tenant, JobStatus.RUNNING, 0);

        String id = create(tenant, "ev-1", 2, 2, body).statusCode(201).extract().path("id");
        // its queued items are not fine-tuning jobs: the counts are still 1 queued, 1 running
        given().get("/internal/tenants/{t}/jobs/counts", tenant).then().statusCode(200)
                .body("queued", is(1)).body("running", is(1));
        create(tenant, null, 1, 2, body).statusCode(429)
                .body("error.code", is("quota_exceeded"))
                .body("error.param", is("max_queued_jobs"))
                .body("error.message", is("quota max_queued_jobs exceeded: the tenant has 1 jobs waiting to start"
                        + " (limit 1); wait for some to start or cancel them"));
        create(tenant, null, 2, 1, body).statusCode(429)
                .body("error.param", is("max_running_jobs"))
                .body("error.message", is("quota max_running_jobs exceeded: the tenant has 1 running jobs (limit 1);"
                        + " new jobs are accepted once one finishes"));
        // the replay of an evaluation already created is answered at the limit
        create(tenant, "ev-1", 1, 1, body).statusCode(200).header("Idempotent-Replayed", "true").body("id", is(id));
        assertThat(evaluations(tenant)).isEqualTo(1);
    }
}

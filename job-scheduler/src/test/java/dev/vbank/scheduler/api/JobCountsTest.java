package dev.vbank.scheduler.api;

import dev.vbank.common.job.JobStatus;
import dev.vbank.scheduler.support.ArtifactStub;
import dev.vbank.scheduler.support.TestSupport;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.is;

@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,kafka"))
@WithTestResource(ArtifactStub.class)
class JobCountsTest {

    @Inject
    DataSource dataSource;

    @Test
    void countsTheTenantsWaitingAndRunningJobsOnly() throws Exception {
        String tenant = TestSupport.tenant("counts");
        String other = TestSupport.tenant("other");
        for (JobStatus s : new JobStatus[]{JobStatus.VALIDATING_FILES, JobStatus.QUEUED, JobStatus.QUEUED,
                JobStatus.RUNNING, JobStatus.CANCELLING, JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}) {
            TestSupport.insertJob(dataSource, tenant, s, 0);
        }
        TestSupport.insertJob(dataSource, other, JobStatus.QUEUED, 0);

        given().get("/internal/tenants/{t}/jobs/counts", tenant).then().statusCode(200)
                .body("object", is("fine_tuning.job.counts")).body("queued", is(3)).body("running", is(2));
        given().get("/internal/tenants/{t}/jobs/counts", TestSupport.tenant("none")).then().statusCode(200)
                .body("queued", is(0)).body("running", is(0));
        given().get("/internal/tenants/{t}/jobs/counts", "bad tenant!").then().statusCode(400);
    }
}

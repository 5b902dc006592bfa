package dev.vbank.scheduler.dispatch;

import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.job.JobStatus;
import dev.vbank.common.json.Json;
import dev.vbank.scheduler.SchedulerConfig;
import dev.vbank.scheduler.jobs.JobRow;
import dev.vbank.scheduler.jobs.JobStore;
import dev.vbank.scheduler.support.ArtifactStub;
import dev.vbank.scheduler.support.TestSupport;
import dev.vbank.service.db.Db;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,kafka"))
@WithTestResource(ArtifactStub.class)
class LeaseTest {

    @Inject
    DataSource dataSource;
    @Inject
    Dispatcher dispatcher;
    @Inject
    LeaseReaper reaper;
    @Inject
    SchedulerConfig config;
    @Inject
    Db db;
    @Inject
    JobStore store;

    @BeforeEach
    void emptyTables() throws Exception {
        TestSupport.reset(dataSource);
    }

    /** A worker's first event on an attempt names it as the lease owner. */
    void workerReports(String id) throws Exception {
        TestSupport.update(dataSource, "update scheduler.jobs set lease_owner = 'worker-1' where id = ?", id);
    }

    void expireLease(String id) throws Exception {
        TestSupport.update(dataSource,
                "update scheduler.jobs set lease_expires_at = clock_timestamp() - interval '1 second' where id = ?", id);
    }

    /** Waits out the (test-sized) lease for real. */
    void leaseRunsOut() throws InterruptedException {
        Thread.sleep(config.lease().toMillis() + 200);
    }

    @Test
    void anExpiredLeaseRequeuesAsTheNextAttemptFromTheLastCheckpointThenFailsAfterMaxAttempts() throws Exception {
        String tenant = TestSupport.tenant("lease");
        String id = TestSupport.insertJob(dataSource, tenant, JobStatus.QUEUED, 0);
        assertThat(config.maxAttempts()).isEqualTo(3);

        JobRow first = dispatcher.dispatchOnce().get(0);
        workerReports(id);
        assertThat(reaper.reapOnce()).as("lease still valid").isEmpty();
        db.tx(c -> {
            store.addCheckpoint(c, id, 40, "tenants/" + tenant + "/checkpoints/" + id + "/40", 100, "00");
            return null;
        });
        leaseRunsOut();

        List<JobRow> reaped = reaper.reapOnce();
        assertThat(reaped).hasSize(1);
        JobRow requeued = reaped.get(0);
        assertThat(requeued.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(requeued.attempt()).isEqualTo(2);
        assertThat(requeued.leaseToken()).isNull();
        assertThat(requeued.leaseExpiresAt()).isNull();

        JobRow second = dispatcher.dispatchOnce().get(0);
        assertThat(second.attempt()).isEqualTo(2);
        assertThat(second.leaseToken()).isNotEqualTo(first.leaseToken());
        String payload = (String) TestSupport.scalar(dataSource,
                "select payload::text from scheduler.outbox where key = ? order by id desc limit 1", id);
        DispatchJob command = Json.mapper().readValue(payload, DispatchJob.class);
        assertThat(command.attempt()).isEqualTo(2);
        assertThat(command.leaseToken()).isEqualTo(second.leaseToken());
        assertThat(command.resumeCheckpoint()).isEqualTo("tenants/" + tenant + "/checkpoints/" + id + "/40");

        workerReports(id);
        leaseRunsOut();
        assertThat(reaper.reapOnce()).extracting(JobRow::attempt).containsExactly(3);
        assertThat(dispatcher.dispatchOnce()).extracting(JobRow::attempt).containsExactly(3);
        workerReports(id);
        leaseRunsOut();
        JobRow failed = reaper.reapOnce().get(0);
        assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
        assertThat(failed.errorCode()).isEqualTo("max_attempts_exceeded");
        assertThat(failed.errorMessage()).contains("attempt 3 of 3").contains("lease expired");
        assertThat(failed.finishedAt()).isNotNull();
        assertThat(dispatcher.dispatchOnce()).isEmpty();

        given().get("/internal/tenants/{t}/jobs/{id}", tenant, id).then().statusCode(200)
                .body("status", is("failed"))
                .body("error.code", is("max_attempts_exceeded"))
                .body("error.message", containsString("no attempts left"));
        List<String> states = given().get("/internal/tenants/{t}/jobs/{id}/events", tenant, id).then()
                .extract().jsonPath().getList("data.findAll { it.type == 'state' }.data.status");
        assertThat(states).containsExactly("running", "queued", "running", "queued", "running", "failed");
    }

    @Test
    void anAttemptNoWorkerPickedUpIsDispatchedAgainWithoutUsingAnAttempt() throws Exception {
        String tenant = TestSupport.tenant("lease");
        String id = TestSupport.insertJob(dataSource, tenant, JobStatus.QUEUED, 0);
        String previousToken = null;
        for (int round = 0; round < config.maxAttempts() + 2; round++) {
            JobRow dispatched = dispatcher.dispatchOnce().get(0);
            assertThat(dispatched.attempt()).isEqualTo(1);
            assertThat(dispatched.leaseToken()).isNotEqualTo(previousToken);
            previousToken = dispatched.leaseToken();
            leaseRunsOut();
            JobRow requeued = reaper.reapOnce().get(0);
            assertThat(requeued.status()).isEqualTo(JobStatus.QUEUED);
            assertThat(requeued.attempt()).isEqualTo(1);
        }
        List<String> messages = given().get("/internal/tenants/{t}/jobs/{id}/events", tenant, id).then()
                .extract().jsonPath().getList("data.message");
        assertThat(messages).anySatisfy(m -> assertThat(m).contains("not picked up by a worker"));
        // once a worker reports, an expiry counts as a lost attempt again
        dispatcher.dispatchOnce();
        workerReports(id);
        leaseRunsOut();
        assertThat(reaper.reapOnce()).extracting(JobRow::attempt).containsExactly(2);
    }

    @Test
    void aCancellingJobWhoseLeaseExpiresIsCancelled() throws Exception {
        String tenant = TestSupport.tenant("lease");
        String id = TestSupport.insertJob(dataSource, tenant, JobStatus.CANCELLING, 0);
        expireLease(id);
        assertThat(reaper.reapOnce()).extracting(JobRow::status).containsExactly(JobStatus.CANCELLED);
        assertThat(TestSupport.scalar(dataSource, "select status from scheduler.jobs where id = ?", id))
                .isEqualTo("cancelled");
    }

    @Test
    void aHeartbeatingJobIsNotReaped() throws Exception {
        String tenant = TestSupport.tenant("lease");
        String fresh = TestSupport.insertJob(dataSource, tenant, JobStatus.RUNNING, 0);
        String stale = TestSupport.insertJob(dataSource, tenant, JobStatus.RUNNING, 0);
        expireLease(stale);
        assertThat(reaper.reapOnce()).extracting(JobRow::id).containsExactly(stale);
        assertThat(TestSupport.scalar(dataSource, "select status from scheduler.jobs where id = ?", fresh))
                .isEqualTo("running");
    }

    /** After the scheduler could not hear workers, an expired lease gets one more period before it is judged. */
    @Test
    void leasesExtendedAfterDeafnessAreJudgedOnlyAfterOneMorePeriod() throws Exception {
        String tenant = TestSupport.tenant("lease");
        String expired = TestSupport.insertJob(dataSource, tenant, JobStatus.RUNNING, 0);
        String queued = TestSupport.insertJob(dataSource, tenant, JobStatus.QUEUED, 0);
        expireLease(expired);
        assertThat(reaper.extendRunningLeases(config.lease())).isEqualTo(1);
        assertThat(reaper.reapOnce()).as("extended by one lease period").isEmpty();
        assertThat(TestSupport.scalar(dataSource, "select status from scheduler.jobs where id = ?", queued))
                .isEqualTo("queued");
        leaseRunsOut();
        assertThat(reaper.reapOnce()).extracting(JobRow::id).containsExactly(expired);
    }
}

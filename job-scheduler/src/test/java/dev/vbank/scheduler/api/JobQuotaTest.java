package dev.vbank.scheduler.api;

import dev.vbank.common.job.JobStatus;
import dev.vbank.scheduler.support.ArtifactStub;
import dev.vbank.scheduler.support.TestSupport;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;

/** The job quotas the gateway sends with a create are enforced in the scheduler's create transaction. */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,kafka"))
@WithTestResource(ArtifactStub.class)
class JobQuotaTest {

    @Inject
    DataSource dataSource;

    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String url;

    @ConfigProperty(name = "quarkus.datasource.username")
    String user;

    @ConfigProperty(name = "quarkus.datasource.password")
    String password;

    private static Response create(String tenant, String key, int maxQueued, int maxRunning, String body) {
        var request = given().contentType(ContentType.JSON).body(body)
                .header("X-Vbank-Max-Queued-Jobs", String.valueOf(maxQueued))
                .header("X-Vbank-Max-Running-Jobs", String.valueOf(maxRunning));
        if (key != null) {
            request = request.header("Idempotency-Key", key);
        }
        return request.post("/internal/tenants/{t}/jobs", tenant);
    }

    private static Response create(String tenant, String key, int maxQueued, int maxRunning) {
        return create(tenant, key, maxQueued, maxRunning, JobApiTest.body("file-1", ""));
    }

    private long jobs(String tenant) throws Exception {
        return TestSupport.count(dataSource, "select count(*) from scheduler.jobs where tenant_id = ?", tenant);
    }

    @Test
    void theJobPastTheQueuedLimitIsA429AndWritesNothing() throws Exception {
        String tenant = TestSupport.tenant("quota");
        for (int i = 0; i < 3; i++) {
            create(tenant, null, 3, 2).then().statusCode(200).body("status", is("validating_files"));
        }
        create(tenant, null, 3, 2).then().statusCode(429)
                .body("error.code", is("quota_exceeded"))
                .body("error.param", is("max_queued_jobs"))
                .body("error.message", is("quota max_queued_jobs exceeded: the tenant has 3 jobs waiting to start"
                        + " (limit 3); wait for some to start or cancel them"));
        assertThat(jobs(tenant)).isEqualTo(3);
        // a cancelled job leaves room in the queue; finished jobs and other tenants' jobs do not count
        TestSupport.update(dataSource, "update scheduler.jobs set status = 'cancelled', finished_at = clock_timestamp()"
                + " where id = (select id from scheduler.jobs where tenant_id = ? order by created_at limit 1)", tenant);
        TestSupport.insertJob(dataSource, TestSupport.tenant("neighbour"), JobStatus.QUEUED, 0);
        create(tenant, null, 3, 2).then().statusCode(200);
        // a limit of 0 admits nothing; a higher limit (the tenant's override changed) admits more at once
        create(TestSupport.tenant("zero"), null, 0, 2).then().statusCode(429).body("error.param", is("max_queued_jobs"));
        create(tenant, null, 4, 2).then().statusCode(200);
        assertThat(jobs(tenant)).isEqualTo(5);
    }

    @Test
    void theRunningLimitIsCheckedAfterTheQueuedOne() throws Exception {
        String tenant = TestSupport.tenant("quota");
        TestSupport.insertJob(dataSource, tenant, JobStatus.RUNNING, 0);
        TestSupport.insertJob(dataSource, tenant, JobStatus.CANCELLING, 0);
        TestSupport.insertJob(dataSource, tenant, JobStatus.QUEUED, 0);
        create(tenant, null, 5, 2).then().statusCode(429)
                .body("error.code", is("quota_exceeded"))
                .body("error.param", is("max_running_jobs"))
                .body("error.message", is("quota max_running_jobs exceeded: the tenant has 2 running jobs (limit 2);"
                        + " new jobs are accepted once one finishes"));
        create(tenant, null, 1, 2).then().statusCode(429).body("error.param", is("max_queued_jobs"));
        create(tenant, null, 5, 3).then().statusCode(200);
        assertThat(jobs(tenant)).isEqualTo(4);
    }

    @Test
    void anIdempotentReplayIsAnsweredAtTheLimitAndAReusedKeyIsStillA409() throws Exception {
        String tenant = TestSupport.tenant("quota");
        String first = create(tenant, "key-1", 2, 2).then().statusCode(200)
                .header("Idempotent-Replayed", "false").extract().path("id");
        create(tenant, null, 2, 2).then().statusCode(200);
        create(tenant, "key-2", 2, 2).then().statusCode(429).body("error.param", is("max_queued_jobs"));
        create(tenant, "key-1", 2, 2).then().statusCode(200)
                .header("Idempotent-Replayed", "true").body("id", is(first));
        create(tenant, "key-1", 2, 2, JobApiTest.body("file-2", "")).then().statusCode(409)
                .body("error.code", is("idempotency_key_reused"));
        assertThat(jobs(tenant)).isEqualTo(2);
    }

    @Test
    void twentyConcurrentCreatesUnderAQueuedLimitOfFiveAdmitExactlyFive() throws Exception {
        String tenant = TestSupport.tenant("race");
        List<Integer> statuses = race(20, 10, i -> create(tenant, null, 5, 4).statusCode());
        assertThat(statuses.stream().filter(s -> s == 200).count()).isEqualTo(5);
        assertThat(statuses.stream().filter(s -> s == 429).count()).isEqualTo(15);
        assertThat(jobs(tenant)).isEqualTo(5);
    }

    @Test
    void concurrentRequestsWithOneKeyForTheLastPlaceAllGetTheOneJob() throws Exception {
        String tenant = TestSupport.tenant("race");
        create(tenant, null, 2, 4).then().statusCode(200);
        List<String> answers = race(8, 8, i -> {
            Response r = create(tenant, "last-place", 2, 4);
            return r.statusCode() + " " + (r.statusCode() == 200 ? r.path("id") : r.asString());
        });
        Set<String> distinct = new HashSet<>(answers);
        assertThat(distinct).hasSize(1);
        assertThat(distinct.iterator().next()).startsWith("200 ftjob-");
        assertThat(jobs(tenant)).isEqualTo(2);
    }

    @Test
    void malformedLimitsAre400AndNoLimitsMeansNoCheck() throws Exception {
        String tenant = TestSupport.tenant("quota");
        given().contentType(ContentType.JSON).body(JobApiTest.body("file-1", ""))
                .header("X-Vbank-Max-Queued-Jobs", "-1").post("/internal/tenants/{t}/jobs", tenant).then()
                .statusCode(400).body("error.param", is("X-Vbank-Max-Queued-Jobs"));
        given().contentType(ContentType.JSON).body(JobApiTest.body("file-1", ""))
                .header("X-Vbank-Max-Running-Jobs", "lots").post("/internal/tenants/{t}/jobs", tenant).then()
                .statusCode(400).body("error.param", is("X-Vbank-Max-Running-Jobs"));
        assertThat(jobs(tenant)).isZero();
        // an internal caller that sends no limits is not limited
        for (int i = 0; i < 3; i++) {
            JobApiTest.create(tenant, JobApiTest.body("file-1", ""), null).statusCode(200);
        }
        create(tenant, null, 3, 4).then().statusCode(429);
    }

    private interface Call<T> {
        T run(int i) throws Exception;
    }

    /**
     * Runs {@code n} calls at once. While they start, the test holds an exclusive lock on {@code scheduler.jobs}, so that
     * every create stops at its first statement on the table (or at the tenant's lock) until at least {@code lined} of them
     * are waiting; then all go together. Without the tenant's lock, their counts would all run before any insert.
     */
    private <T> List<T> race(int n, int lined, Call<T> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<Future<T>> futures = new ArrayList<>();
        // own connections, not the pool's: the creates may hold all of those
        try (Connection gate = DriverManager.getConnection(url, user, password);
             Connection watch = DriverManager.getConnection(url, user, password)) {
            gate.setAutoCommit(false);
            try (Statement st = gate.createStatement()) {
                st.execute("lock table scheduler.jobs in access exclusive mode");
            }
            try {
                for (int i = 0; i < n; i++) {
                    int index = i;
                    futures.add(pool.submit(() -> call.run(index)));
                }
                TestSupport.await(Duration.ofSeconds(60), lined + " creates waiting on a lock", TestSupport.sql(() -> {
                    try (Statement st = watch.createStatement(); ResultSet rs = st.executeQuery("select count(*) from"
                            + " pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()")) {
                        rs.next();
                        return rs.getInt(1) >= lined;
                    }
                }));
            } finally {
                gate.commit();
            }
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(120, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}

package dev.vbank.scheduler.api;

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
import java.util.ArrayList;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,kafka"))
@WithTestResource(ArtifactStub.class)
class JobApiTest {

    @Inject
    DataSource dataSource;

    static String body(String trainingFile, String extra) {
        return """
                {"model": "bge-small-en-v1.5", "training_file": "%s",
                 "method": {"type": "vblora", "hyperparameters": {"num_vectors": 64, "vector_length": 128, "topk": 2}}%s}"""
                .formatted(trainingFile, extra);
    }

    static ValidatableResponse create(String tenant, String body, String key) {
        var request = given().contentType(ContentType.JSON).body(body);
        if (key != null) {
            request = request.header("Idempotency-Key", key);
        }
        return request.post("/internal/tenants/{t}/jobs", tenant).then();
    }

    long jobs(String tenant) throws Exception {
        return TestSupport.count(dataSource, "select count(*) from scheduler.jobs where tenant_id = ?", tenant);
    }

    @Test
    void createsAJobInValidatingFilesAndServesIt() throws Exception {
        String tenant = TestSupport.tenant("api");
        String id = create(tenant, body("file-1", ", \"suffix\": \"s-1\", \"seed\": 11, \"metadata\": {\"k\": \"v\"}"), null)
                .statusCode(200)
                .body("id", matchesPattern("ftjob-[0-9A-Za-z]{24}"))
                .body("object", is("fine_tuning.job"))
                .body("status", is("validating_files"))
                .body("model", is("bge-small-en-v1.5"))
                .body("training_file", is("file-1"))
                .body("validation_file", nullValue())
                .body("method.type", is("vblora"))
                .body("method.hyperparameters.vector_length", is(128))
                .body("method.hyperparameters.r", is(4))
                .body("method.hyperparameters.target_modules", is("qv"))
                .body("suffix", is("s-1"))
                .body("seed", is(11))
                .body("metadata.k", is("v"))
                .body("error", nullValue())
                .body("trained_steps", is(0))
                .body("created_at", notNullValue())
                .extract().path("id");

        given().get("/internal/tenants/{t}/jobs/{id}", tenant, id).then()
                .statusCode(200).body("id", is(id)).body("status", is("validating_files"));
        given().get("/internal/tenants/{t}/jobs/{id}/events", tenant, id).then()
                .statusCode(200)
                .body("object", is("list"))
                .body("data.size()", is(1))
                .body("data[0].type", is("state"))
                .body("data[0].data.status", is("validating_files"))
                .body("has_more", is(false));
        given().get("/internal/tenants/{t}/jobs/{id}/checkpoints", tenant, id).then()
                .statusCode(200).body("data", empty());
    }

    @Test
    void aRandomSeedIsChosenWhenNoneIsGiven() {
        String tenant = TestSupport.tenant("api");
        Integer seed = create(tenant, body("file-1", ""), null).statusCode(200).extract().path("seed");
        assertThat(seed).isNotNull().isGreaterThanOrEqualTo(0);
    }

    @Test
    void badInputIsA400NamingTheFieldAndWritesNothing() throws Exception {
        String tenant = TestSupport.tenant("api");
        create(tenant, body("file-1", ", \"n_epochs\": 3"), null).statusCode(400)
                .body("error.code", is("invalid_request")).body("error.param", is("n_epochs"));
        create(tenant, body("file-1", "").replace("\"topk\": 2", "\"topk\": 65"), null).statusCode(400)
                .body("error.param", is("method.hyperparameters.topk"));
        create(tenant, body("file-1", "").replace("bge-small-en-v1.5", "bert-large"), null).statusCode(400)
                .body("error.param", is("model"));
        create(tenant, "{\"model\": ", null).statusCode(400).body("error.code", is("invalid_json"));
        create(tenant, body("file-1", ""), "bad key with spaces").statusCode(400)
                .body("error.param", is("Idempotency-Key"));
        create("tenant with spaces", body("file-1", ""), null).statusCode(400).body("error.param", is("tenant"));
        assertThat(jobs(tenant)).isZero();
    }

    @Test
    void idempotencyKeyReplaysTheSameJobAndRefusesAnotherBody() throws Exception {
        String tenant = TestSupport.tenant("api");
        String first = create(tenant, body("file-1", ""), "key-1").statusCode(200)
                .header("Idempotent-Replayed", "false").extract().path("id");
        // the same request, formatted differently, is the same request
        String again = create(tenant, body("file-1", "").replace("\n", " "), "key-1").statusCode(200)
                .header("Idempotent-Replayed", "true").extract().path("id");
        assertThat(again).isEqualTo(first);
        create(tenant, body("file-2", ""), "key-1").statusCode(409)
                .body("error.code", is("idempotency_key_reused"))
                .body("error.param", is("Idempotency-Key"));
        // another tenant may use the same key for its own job
        String other = create(TestSupport.tenant("api"), body("file-1", ""), "key-1").statusCode(200).extract().path("id");
        assertThat(other).isNotEqualTo(first);
        // without a key, every request is a new job
        create(tenant, body("file-1", ""), null).statusCode(200);
        assertThat(jobs(tenant)).isEqualTo(2);
    }

    @Test
    void concurrentRequestsWithOneIdempotencyKeyMakeOneJob() throws Exception {
        String tenant = TestSupport.tenant("api");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(6);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.Future<String>> answers = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                answers.add(pool.submit(() -> {
                    go.await();
                    return create(tenant, body("file-1", ""), "race-key").statusCode(200).extract().<String>path("id");
                }));
            }
            go.countDown();
            java.util.Set<String> ids = new java.util.HashSet<>();
            for (var answer : answers) {
                ids.add(answer.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
            assertThat(ids).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(jobs(tenant)).isEqualTo(1);
    }

    @Test
    void listPagesNewestFirstWithHasMoreAndFiltersByMetadata() {
        String tenant = TestSupport.tenant("api");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String team = i % 2 == 0 ? "red" : "blue";
            ids.add(create(tenant, body("file-" + i, ", \"metadata\": {\"team\": \"" + team + "\", \"n\": \"" + i + "\"}"),
                    null).statusCode(200).extract().path("id"));
        }
        create(TestSupport.tenant("api"), body("file-x", ""), null).statusCode(200);

        List<String> seen = new ArrayList<>();
        String after = null;
        boolean more = true;
        int pages = 0;
        while (more) {
            var request = given().queryParam("limit", 2);
            if (after != null) {
                request = request.queryParam("after", after);
            }
            var page = request.get("/internal/tenants/{t}/jobs", tenant).then().statusCode(200)
                    .body("object", is("list")).extract().jsonPath();
            List<String> data = page.getList("data.id");
            more = page.getBoolean("has_more");
            seen.addAll(data);
            after = data.get(data.size() - 1);
            pages++;
            assertThat(data).hasSize(more ? 2 : 1);
        }
        assertThat(pages).isEqualTo(3);
        List<String> newestFirst = new ArrayList<>(ids);
        java.util.Collections.reverse(newestFirst);
        assertThat(seen).isEqualTo(newestFirst);

        List<String> red = given().queryParam("metadata[team]", "red").get("/internal/tenants/{t}/jobs", tenant)
                .then().statusCode(200).body("has_more", is(false)).extract().jsonPath().getList("data.id");
        assertThat(red).containsExactly(ids.get(4), ids.get(2), ids.get(0));
        List<String> both = given().queryParam("metadata[team]", "blue").queryParam("metadata[n]", "3")
                .get("/internal/tenants/{t}/jobs", tenant).then().statusCode(200).extract().jsonPath().getList("data.id");
        assertThat(both).containsExactly(ids.get(3));

        given().queryParam("limit", 0).get("/internal/tenants/{t}/jobs", tenant).then().statusCode(400)
                .body("error.param", is("limit"));
        given().queryParam("limit", 101).get("/internal/tenants/{t}/jobs", tenant).then().statusCode(400)
                .body("error.param", is("limit"));
        given().queryParam("limit", "ten").get("/internal/tenants/{t}/jobs", tenant).then().statusCode(400)
                .body("error.param", is("limit"));
        given().queryParam("sort", "asc").get("/internal/tenants/{t}/jobs", tenant).then().statusCode(400)
                .body("error.param", is("sort"));
        given().queryParam("after", "ftjob-nope").get("/internal/tenants/{t}/jobs", tenant).then().statusCode(400)
                .body("error.param", is("after"));
        given().get("/internal/tenants/{t}/jobs", tenant).then().statusCode(200)
                .body("data.size()", is(5)).body("has_more", is(false));
    }

    @Test
    void anotherTenantsJobIsNotFoundEverywhere() {
        String owner = TestSupport.tenant("api");
        String intruder = TestSupport.tenant("api");
        String id = create(owner, body("file-1", ""), null).statusCode(200).extract().path("id");

        for (String path : List.of("/internal/tenants/{t}/jobs/{id}", "/internal/tenants/{t}/jobs/{id}/events",
                "/internal/tenants/{t}/jobs/{id}/checkpoints")) {
            given().get(path, intruder, id).then().statusCode(404).body("error.code", is("job_not_found"));
        }
        given().post("/internal/tenants/{t}/jobs/{id}/cancel", intruder, id).then().statusCode(404)
                .body("error.code", is("job_not_found"));
        // the answer for a job that exists elsewhere is the answer for one that exists nowhere
        String missing = given().get("/internal/tenants/{t}/jobs/{id}", intruder, "ftjob-doesnotexist").then()
                .statusCode(404).extract().path("error.message");
        assertThat(missing).doesNotContain(owner);
        given().get("/internal/tenants/{t}/jobs", intruder).then().statusCode(200).body("data", empty());
        given().queryParam("after", id).get("/internal/tenants/{t}/jobs", intruder).then().statusCode(400);
        given().get("/internal/tenants/{t}/jobs/{id}", owner, id).then().statusCode(200).body("status", is("validating_files"));
    }

    @Test
    void cancelBeforeStartIsImmediateAndATerminalJobCannotBeCancelled() {
        String tenant = TestSupport.tenant("api");
        String id = create(tenant, body("file-1", ""), null).statusCode(200).extract().path("id");
        given().post("/internal/tenants/{t}/jobs/{id}/cancel", tenant, id).then().statusCode(200)
                .body("status", is("cancelled")).body("finished_at", notNullValue());
        given().post("/internal/tenants/{t}/jobs/{id}/cancel", tenant, id).then().statusCode(409)
                .body("error.code", is("job_not_cancellable"));
        given().get("/internal/tenants/{t}/jobs/{id}/events", tenant, id).then().statusCode(200)
                .body("data.data.status", equalTo(List.of("validating_files", "cancelled")));
    }

    @Test
    void eventsPageInOrderWithAfter() throws Exception {
        String tenant = TestSupport.tenant("api");
        String id = TestSupport.insertJob(dataSource, tenant, JobStatus.RUNNING, 0);
        for (int i = 0; i < 5; i++) {
            TestSupport.update(dataSource, "insert into scheduler.job_events (id, job_id, level, type, message) "
                    + "values (?, ?, 'info', 'message', ?)", "ev-" + id + "-" + i, id, "step " + i);
        }
        var first = given().queryParam("limit", 3).get("/internal/tenants/{t}/jobs/{id}/events", tenant, id).then()
                .statusCode(200).body("has_more", is(true)).extract().jsonPath();
        assertThat(first.getList("data.message")).containsExactly("step 0", "step 1", "step 2");
        given().queryParam("after", "ev-" + id + "-2").get("/internal/tenants/{t}/jobs/{id}/events", tenant, id).then()
                .statusCode(200).body("has_more", is(false))
                .body("data.message", equalTo(List.of("step 3", "step 4")))
                .body("data[0].object", is("fine_tuning.job.event"))
                .body("data[0].level", is("info"));
        given().queryParam("after", "ev-unknown").get("/internal/tenants/{t}/jobs/{id}/events", tenant, id).then()
                .statusCode(400).body("error.param", is("after"));
    }
}

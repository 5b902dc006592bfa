package dev.vbank.scheduler.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.command.WorkerEvent;
import dev.vbank.common.eval.EvaluationOutcome;
import dev.vbank.common.eval.EvaluationSubject;
import dev.vbank.common.eval.TaskResult;
import dev.vbank.common.job.JobStatus;
import dev.vbank.common.job.MethodType;
import dev.vbank.scheduler.dispatch.Dispatcher;
import dev.vbank.scheduler.events.WorkerEventHandler;
import dev.vbank.scheduler.jobs.JobRow;
import dev.vbank.scheduler.support.ArtifactStub;
import dev.vbank.scheduler.support.TestSupport;
import dev.vbank.testkit.VbankInfraResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.vbank.scheduler.eval.EvalFixture.get;
import static dev.vbank.scheduler.eval.EvalFixture.json;
import static dev.vbank.scheduler.eval.EvalFixture.post;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/** Evaluations through the scheduler's internal API, dispatcher and worker-event handler, on real PostgreSQL and Kafka. */
@QuarkusTest
@WithTestResource(value = VbankInfraResource.class, initArgs = @ResourceArg(name = "needs", value = "postgres,kafka"))
@WithTestResource(ArtifactStub.class)
class EvaluationFlowTest {

    @Inject
    DataSource dataSource;
    @Inject
    Dispatcher dispatcher;
    @Inject
    WorkerEventHandler handler;

    String tenant;

    @BeforeEach
    void emptyTables() throws Exception {
        TestSupport.reset(dataSource);
        tenant = TestSupport.tenant("eval");
    }

    private JsonNode create(String body) throws Exception {
        Response r = post(tenant, "evaluations", body);
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(201);
        return json(r);
    }

    private static List<String> itemIds(JsonNode evaluation) {
        List<String> ids = new ArrayList<>();
        evaluation.get("items").forEach(i -> ids.add(i.get("id").asText()));
        return ids;
    }

    @Test
    void theBuiltInSuiteIsSeededAsTheContractDefinesIt() throws Exception {
        JsonNode list = get(tenant, "evaluation_suites");
        JsonNode suite = list.get("data").get(0);
        assertThat(suite.get("name").asText()).isEqualTo("sentiment-en");
        assertThat(suite.get("version").asInt()).isEqualTo(1);
        assertThat(suite.get("built_in").asBoolean()).isTrue();
        JsonNode tasks = suite.get("tasks");
        assertThat(tasks).hasSize(3);
        assertThat(tasks.get(0).get("name").asText()).isEqualTo("imdb-test");
        assertThat(tasks.get(0).get("dataset").asText()).isEqualTo("public:imdb-50k");
        assertThat(tasks.get(0).get("split").toString())
                .isEqualTo("{\"part\":\"test\",\"test_fraction\":0.5,\"seed\":2024,\"limit\":400}");
        assertThat(tasks.get(1).get("dataset").asText()).isEqualTo("public:uci-amazon");
        assertThat(tasks.get(2).get("dataset").asText()).isEqualTo("public:uci-imdb");
        for (JsonNode t : tasks) {
            assertThat(t.get("task_type").asText()).isEqualTo("classification");
            assertThat(t.get("metrics").toString()).isEqualTo("[\"accuracy\",\"f1_macro\"]");
        }
        assertThat(tasks.get(2).get("split").get("part").asText()).isEqualTo("all");
        assertThat(get(tenant, "evaluation_suites/" + suite.get("id").asText()).get("name").asText())
                .isEqualTo("sentiment-en");
    }

    @Test
    void tenantSuitesGetVersionsPinTheirFilesAndStayPrivate() throws Exception {
        ArtifactStub.put(tenant, "file-held-out", "processed");
        String body = """
                {"name": "my-suite", "description": "held out", "tasks": [{"name": "t1", "dataset": "file-held-out",
                 "task_type": "classification", "metrics": ["accuracy", "mcc"],
                 "split": {"part": "test", "test_fraction": 0.2, "seed": 1, "limit": 100}}]}""";
        JsonNode v1 = json(post(tenant, "evaluation_suites", body).then().statusCode(201).extract().response());
        JsonNode v2 = json(post(tenant, "evaluation_suites", body).then().statusCode(201).extract().response());
        assertThat(v1.get("version").asInt()).isEqualTo(1);
        assertThat(v2.get("version").asInt()).isEqualTo(2);
        assertThat(v1.get("built_in").asBoolean()).isFalse();
        assertThat(v1.get("tasks").get(0).get("dataset_sha256").asText()).isEqualTo("sha-of-file-held-out");
        // the list shows the latest version of each name; ?name= every version
        JsonNode list = get(tenant, "evaluation_suites");
        assertThat(list.get("data")).extracting(s -> s.get("name").asText() + "@" + s.get("version").asInt())
                .containsExactly("my-suite@2", "sentiment-en@1");
        assertThat(get(tenant, "evaluation_suites?name=my-suite").get("data")).hasSize(2);
        // another tenant sees neither
        String other = TestSupport.tenant("other");
        given().get("/internal/tenants/{t}/evaluation_suites/{id}", other, v1.get("id").asText()).then().statusCode(404);
        assertThat(get(other, "evaluation_suites").get("data")).hasSize(1);
        // name@version resolves the pinned version
        EvalFixture.Trained a = EvalFixture.trained(dataSource, tenant, "vblora", Map.of());
        JsonNode e = create("{\"suite\": \"my-suite@1\", \"adapters\": [\"" + a.adapterId() + "\"]}");
        assertThat(e.get("suite").get("id").asText()).isEqualTo(v1.get("id").asText());
        assertThat(create("{\"suite\": \"my-suite\", \"adapters\": [\"" + a.adapterId() + "\"]}").get("suite")
                .get("version").asInt()).isEqualTo(2);
    }

    @Test
    void anItemGoesQueuedRunningSucceededAndARedeliveredSuccessStoresNothingTwice() throws Exception {
        EvalFixture.Trained a = EvalFixture.trained(dataSource, tenant, "vblora", Map.of());
        JsonNode e = create("{\"suite\": \"sentiment-en\", \"adapters\": [\"" + a.adapterId() + "\"],"
                + " \"baselines\": [\"head_only\"], \"metadata\": {\"run\": \"1\"}}");
        assertThat(e.get("id").asText()).matches("eval-[0-9A-Za-z]{24}");
        assertThat(e.get("status").asText()).isEqualTo("queued");
        assertThat(e.get("counts").toString())
                .isEqualTo("{\"queued\":2,\"running\":0,\"succeeded\":0,\"failed\":0,\"cancelled\":0}");
        assertThat(e.get("items")).extracting(i -> i.get("subject").asText())
                .containsExactly("adapter", "baseline_head_only");
        assertThat(e.get("items").get(0).get("progress").toString()).isEqualTo("{\"tasks_done\":0,\"tasks_total\":3}");
        List<String> items = itemIds(e);
        assertThat(items).allMatch(id -> id.matches("evitem-[0-9A-Za-z]{24}"));

        List<JobRow> claimed = dispatcher.dispatchOnce();
        assertThat(claimed).extracting(JobRow::id).containsExactlyInAnyOrderElementsOf(items);
        DispatchJob adapterWork = EvalFixture.dispatches(dataSource, items.get(0)).get(0);
        assertThat(adapterWork.model()).isEqualTo("all-minilm-l6-v2");
        assertThat(adapterWork.method()).isNull();
        assertThat(adapterWork.trainingFile()).isNull();
        assertThat(adapterWork.evaluation().subject()).isEqualTo(EvaluationSubject.ADAPTER);
        assertThat(adapterWork.evaluation().adapterId()).isEqualTo(a.adapterId());
        assertThat(adapterWork.evaluation().adapterSha256()).isEqualTo(a.sha256());
        assertThat(adapterWork.evaluation().evaluationId()).isEqualTo(e.get("id").asText());
        assertThat(adapterWork.evaluation().suite().name()).isEqualTo("sentiment-en");
        assertThat(adapterWork.evaluation().suite().tasks()).hasSize(3);
        DispatchJob baselineWork = EvalFixture.dispatches(dataSource, items.get(1)).get(0);
        assertThat(baselineWork.evaluation().subject()).isEqualTo(EvaluationSubject.BASELINE_HEAD_ONLY);
        assertThat(baselineWork.trainingFile()).isEqualTo("file-yelp");
        assertThat(baselineWork.seed()).isEqualTo(7);
        assertThat(baselineWork.method().type()).isEqualTo(MethodType.HEAD_ONLY);
        // the vblora-only "r" is dropped; what every method shares is kept
        assertThat(baselineWork.method().hyperparameters()).containsOnlyKeys("n_epochs", "batch_size", "lr_head");
        assertThat(get(tenant, "evaluations/" + e.get("id").asText()).get("status").asText()).isEqualTo("running");

        EvalFixture.Lease lease = EvalFixture.lease(dataSource, items.get(0));
        assertThat(handler.handle(EvalFixture.event(items.get(0), lease, WorkerEvent.Kind.PROGRESS, "ev-p1",
                Map.of("tasks_done", 2, "tasks_total", 3, "task", "uci-amazon"))))
                .isEqualTo(WorkerEventHandler.Outcome.APPLIED);
        assertThat(handler.handle(EvalFixture.event(items.get(0), lease, WorkerEvent.Kind.PROGRESS, "ev-p1",
                Map.of("tasks_done", 2, "tasks_total", 3, "task", "uci-amazon"))))
                .isEqualTo(WorkerEventHandler.Outcome.DUPLICATE);
        assertThat(get(tenant, "evaluations/" + e.get("id").asText()).get("items").get(0).get("progress").toString())
                .isEqualTo("{\"tasks_done\":2,\"tasks_total\":3}");

        EvaluationOutcome outcome = EvalFixture.outcome(a.sha256(), 0.875, 0.75);
        String success = EvalFixture.event(items.get(0), lease, WorkerEvent.Kind.SUCCEEDED, "ev-s1",
                EvalFixture.outcomeData(outcome));
        assertThat(handler.handle(success)).isEqualTo(WorkerEventHandler.Outcome.APPLIED);
        // success released the lease: a redelivered copy of the event, like any late report, changes nothing
        assertThat(handler.handle(success)).as("the same event redelivered").isEqualTo(WorkerEventHandler.Outcome.STALE);
        String again = EvalFixture.event(items.get(0), lease, WorkerEvent.Kind.SUCCEEDED, "ev-s1-retry",
                EvalFixture.outcomeData(EvalFixture.outcome(a.sha256(), 0.25, 0.25)));
        assertThat(handler.handle(again)).as("a retried report after the lease was released")
                .isEqualTo(WorkerEventHandler.Outcome.STALE);
        assertThat(TestSupport.count(dataSource, "select count(*) from scheduler.evaluation_results")).isEqualTo(3);
        JsonNode results = get(tenant, "evaluations/" + e.get("id").asText() + "/results").get("data");
        assertThat(results).hasSize(3);
        assertThat(results).allSatisfy(r -> {
            assertThat(r.get("metrics").get("accuracy").asDouble()).isEqualTo(0.875);
            assertThat(r.get("item_id").asText()).isEqualTo(items.get(0));
            assertThat(r.get("subject_sha256").asText()).isEqualTo(a.sha256());
            assertThat(r.get("stored_bytes").asLong()).isEqualTo(1000);
            assertThat(r.get("examples").asInt()).isEqualTo(400);
        });
        JsonNode after = get(tenant, "evaluations/" + e.get("id").asText());
        assertThat(after.get("items").get(0).get("status").asText()).isEqualTo("succeeded");
        assertThat(after.get("items").get(0).get("progress").get("tasks_done").asInt()).isEqualTo(3);
        assertThat(after.get("status").asText()).isEqualTo("running");
        assertThat(after.get("finished_at").isNull()).isTrue();

        // a baseline report that misses a task fails the item, and with it the evaluation
        EvaluationOutcome partial = new EvaluationOutcome("sha-head", 10, 5, 5, List.of(new TaskResult("imdb-test",
                TaskResult.SUCCEEDED, Map.of("accuracy", 0.5), 400, 10.0, null)));
        assertThat(EvalFixture.succeed(handler, dataSource, items.get(1), "ev-s2", partial))
                .isEqualTo(WorkerEventHandler.Outcome.APPLIED);
        JsonNode done = get(tenant, "evaluations/" + e.get("id").asText());
        assertThat(done.get("items").get(1).get("status").asText()).isEqualTo("failed");
        assertThat(done.get("items").get(1).get("error").get("code").asText()).isEqualTo("invalid_evaluation_outcome");
        assertThat(done.get("status").asText()).isEqualTo("failed");
        assertThat(done.get("finished_at").isNull()).isFalse();
        assertThat(TestSupport.count(dataSource, "select count(*) from scheduler.evaluation_results")).isEqualTo(3);
        // internal job listings never show evaluation items
        assertThat(get(tenant, "jobs").get("data")).extracting(j -> j.get("id").asText()).containsExactly(a.jobId());
        given().get("/internal/tenants/{t}/jobs/{id}", tenant, items.get(0)).then().statusCode(404);
        given().post("/internal/tenants/{t}/jobs/{id}/cancel", tenant, items.get(0)).then().statusCode(404);
    }

    @Test
    void storedResultsServeALaterEvaluationWithoutDispatchAndConcurrentItemsShareOneResult() throws Exception {
        EvalFixture.Trained a = EvalFixture.trained(dataSource, tenant, "lora", Map.of());
        String body = "{\"suite\": \"sentiment-en\", \"adapters\": [\"" + a.adapterId() + "\"]}";
        String first = itemIds(create(body)).get(0);
        String second = itemIds(create(body)).get(0);
        assertThat(dispatcher.dispatchOnce()).hasSize(2);
        EvalFixture.succeed(handler, dataSource, first, "ev-first", EvalFixture.outcome(a.sha256(), 0.5, 0.5));
        EvalFixture.succeed(handler, dataSource, second, "ev-second", EvalFixture.outcome(a.sha256(), 0.75, 0.75));
        assertThat(TestSupport.count(dataSource, "select count(*) from scheduler.evaluation_results")).isEqualTo(3);
        assertThat(TestSupport.count(dataSource, "select count(*) from scheduler.evaluation_results where item_id = ?",
                first)).as("the first stored result is kept; results are immutable").isEqualTo(3);
        long outbox = TestSupport.count(dataSource, "select count(*) from scheduler.outbox");

        JsonNode cached = create(body);
        assertThat(cached.get("status").asText()).isEqualTo("succeeded");
        assertThat(cached.get("items").get(0).get("status").asText()).isEqualTo("succeeded");
        assertThat(cached.get("items").get(0).get("progress").get("tasks_done").asInt()).isEqualTo(3);
        assertThat(TestSupport.count(dataSource, "select count(*) from scheduler.outbox")).isEqualTo(outbox);
        assertThat(dispatcher.dispatchOnce()).isEmpty();
        JsonNode results = get(tenant, "evaluations/" + cached.get("id").asText() + "/results").get("data");
        assertThat(results).hasSize(3).allSatisfy(r -> assertThat(r.get("metrics").get("accuracy").asDouble()).isEqualTo(0.5));
        // the adapter's results across its three evaluations: the same three rows each time
        JsonNode perAdapter = get(tenant, "adapters/" + a.adapterId() + "/evaluation_results").get("data");
        assertThat(perAdapter).hasSize(9);
        assertThat(get(TestSupport.tenant("other"), "adapters/" + a.adapterId() + "/evaluation_results").get("data"))
                .isEmpty();
    }

    @Test
    void cancelStopsRunningItemsThroughTheWorkerAndQueuedOnesAtOnce() throws Exception {
        List<String> adapters = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            adapters.add("\"" + EvalFixture.trained(dataSource, tenant, "vblora", Map.of()).adapterId() + "\"");
        }
        JsonNode e = create("{\"suite\": \"sentiment-en\", \"adapters\": [" + String.join(",", adapters) + "]}");
        List<JobRow> running = dispatcher.dispatchOnce();
        assertThat(running).hasSize(2);
        Response r = given().post("/internal/tenants/{t}/evaluations/{id}/cancel", tenant, e.get("id").asText());
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
        JsonNode cancelled = json(r);
        assertThat(cancelled.get("status").asText()).isEqualTo("cancelled");
        assertThat(cancelled.get("items")).extracting(i -> i.get("status").asText())
                .containsExactlyInAnyOrder("cancelling", "cancelling", "cancelled");
        for (JobRow job : running) {
            assertThat(TestSupport.count(dataSource, "select count(*) from scheduler.outbox where key = ?"
                    + " and topic = 'vbank.jobs.control'", job.id())).isEqualTo(1);
            handler.handle(EvalFixture.event(job.id(), new EvalFixture.Lease(job.leaseToken(), job.attempt()),
                    WorkerEvent.Kind.CANCELLED, "ev-c-" + job.id(), Map.of()));
        }
        JsonNode after = get(tenant, "evaluations/" + e.get("id").asText());
        assertThat(after.get("counts").get("cancelled").asInt()).isEqualTo(3);
        assertThat(after.get("finished_at").isNull()).isFalse();
        given().post("/internal/tenants/{t}/evaluations/{id}/cancel", tenant, e.get("id").asText()).then().statusCode(200);
        assertThat(dispatcher.dispatchOnce()).isEmpty();
        given().post("/internal/tenants/{t}/evaluations/{id}/cancel", TestSupport.tenant("other"), e.get("id").asText())
                .then().statusCode(404);
    }

    @Test
    void fairShareInterleavesEvaluationItemsWithFineTuningJobsOfOtherTenants() throws Exception {
        String trainer = TestSupport.tenant("trainer");
        List<String> adapters = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            adapters.add("\"" + EvalFixture.trained(dataSource, tenant, "vblora", Map.of()).adapterId() + "\"");
        }
        // four evaluation items, all older than the other tenant's two training jobs
        JsonNode e = create("{\"suite\": \"sentiment-en\", \"adapters\": [" + String.join(",", adapters)
                + "], \"baselines\": [\"head_only\"]}");
        Thread.sleep(5);
        TestSupport.insertJob(dataSource, trainer, JobStatus.QUEUED, 0);
        TestSupport.insertJob(dataSource, trainer, JobStatus.QUEUED, 0);

        List<JobRow> claimed = dispatcher.dispatchOnce();
        assertThat(claimed).extracting(JobRow::tenantId).containsExactly(tenant, trainer, tenant, trainer);
        assertThat(claimed).extracting(JobRow::kind).containsExactly("evaluation", "fine_tune", "evaluation", "fine_tune");
        assertThat(itemIds(e)).contains(claimed.get(0).id(), claimed.get(2).id());
    }

    @Test
    void aJobCreatedWithAnEvaluationGetsItWhenItSucceeds() throws Exception {
        Response bad = post(tenant, "jobs", """
                {"model": "all-minilm-l6-v2", "training_file": "file-yelp", "method": {"type": "lora"},
                 "evaluation": {"suite": "no-such-suite"}}""");
        assertThat(bad.statusCode()).isEqualTo(404);
        assertThat(json(bad).get("error").get("param").asText()).isEqualTo("evaluation.suite");
        Response badBaseline = post(tenant, "jobs", """
                {"model": "all-minilm-l6-v2", "training_file": "file-yelp", "method": {"type": "lora"},
                 "evaluation": {"suite": "sentiment-en", "baselines": ["lora"]}}""");
        assertThat(badBaseline.statusCode()).isEqualTo(400);
        assertThat(json(badBaseline).get("error").get("param").asText()).isEqualTo("evaluation.baselines[0]");
        assertThat(TestSupport.count(dataSource, "select count(*) from scheduler.jobs")).isZero();

        JsonNode job = json(post(tenant, "jobs", """
                {"model": "all-minilm-l6-v2", "training_file": "file-yelp", "method": {"type": "lora"}, "seed": 3,
                 "evaluation": {"suite": "sentiment-en", "baselines": ["head_only"]}}"""));
        assertThat(job.has("evaluation_id")).isTrue();
        assertThat(job.get("evaluation_id").isNull()).isTrue();
        String jobId = job.get("id").asText();
        TestSupport.update(dataSource, "update scheduler.jobs set status = 'queued' where id = ?", jobId);
        JobRow running = dispatcher.dispatchOnce().get(0);
        ArtifactStub.putAdapter(tenant, "adapter-auto-" + jobId, jobId, "all-minilm-l6-v2", "lora", "sha-auto");
        assertThat(handler.handle(EvalFixture.event(jobId, new EvalFixture.Lease(running.leaseToken(), running.attempt()),
                WorkerEvent.Kind.SUCCEEDED, "ev-auto", Map.of("adapter_id", "adapter-auto-" + jobId))))
                .isEqualTo(WorkerEventHandler.Outcome.APPLIED);

        JsonNode succeeded = get(tenant, "jobs/" + jobId);
        assertThat(succeeded.get("status").asText()).isEqualTo("succeeded");
        String evaluationId = succeeded.get("evaluation_id").asText();
        assertThat(evaluationId).startsWith("eval-");
        JsonNode evaluation = get(tenant, "evaluations/" + evaluationId);
        assertThat(evaluation.get("status").asText()).isEqualTo("queued");
        assertThat(evaluation.get("items")).extracting(i -> i.get("adapter_id").asText() + "/" + i.get("subject").asText())
                .containsExactly("adapter-auto-" + jobId + "/adapter", "adapter-auto-" + jobId + "/baseline_head_only");
        assertThat(dispatcher.dispatchOnce()).hasSize(2);
        assertThat(EvalFixture.dispatches(dataSource, evaluation.get("items").get(1).get("id").asText()).get(0).seed())
                .isEqualTo(3);
    }

    @Test
    void theReportComparesAdaptersAndBaselinesAsComputedByHand() throws Exception {
        EvalFixture.Trained a = EvalFixture.trained(dataSource, tenant, "vblora", Map.of());
        EvalFixture.Trained b = EvalFixture.trained(dataSource, tenant, "lora", Map.of());
        JsonNode e = create("{\"suite\": \"sentiment-en\", \"adapters\": [\"" + a.adapterId() + "\", \""
                + b.adapterId() + "\"], \"baselines\": [\"head_only\"]}");
        List<String> items = itemIds(e);
        dispatcher.dispatchOnce();
        dispatcher.dispatchOnce();
        EvalFixture.succeed(handler, dataSource, items.get(0), "ev-r0", EvalFixture.outcome(a.sha256(), 0.875, 0.75));
        EvalFixture.succeed(handler, dataSource, items.get(1), "ev-r1", new EvaluationOutcome("sha-head-a", 6000, 1538,
                1538, List.of(
                new TaskResult("imdb-test", TaskResult.SUCCEEDED, Map.of("accuracy", 0.625, "f1_macro", 0.5), 400, 25.0, null),
                new TaskResult("uci-amazon", TaskResult.SUCCEEDED, Map.of("accuracy", 0.5, "f1_macro", 0.25), 1000, 50.0, null),
                new TaskResult("uci-imdb", TaskResult.SKIPPED, Map.of(), 0, 0.0, "no labels"))));
        dispatcher.dispatchOnce();
        EvalFixture.succeed(handler, dataSource, items.get(2), "ev-r2", EvalFixture.outcome(b.sha256(), 0.5, 0.5));
        // the last item (b's baseline) is still running

        JsonNode report = get(tenant, "evaluations/" + e.get("id").asText() + "/report");
        String expected = """
                {"object": "evaluation.report", "evaluation_id": "%s",
                 "suite": {"id": "suite-builtin-sentiment-en-1", "name": "sentiment-en", "version": 1},
                 "tasks": [{"name": "imdb-test", "metrics": ["accuracy", "f1_macro"]},
                           {"name": "uci-amazon", "metrics": ["accuracy", "f1_macro"]},
                           {"name": "uci-imdb", "metrics": ["accuracy", "f1_macro"]}],
                 "rows": [
                  {"adapter_id": "%2$s", "subject": "adapter", "job_id": "%3$s", "method": "vblora",
                   "base_model": "all-minilm-l6-v2", "stored_bytes": 1000, "trainable_parameters": 500, "stored_parameters": 300,
                   "results": {"imdb-test": {"status": "succeeded", "metrics": {"accuracy": 0.875, "f1_macro": 0.75}, "examples": 400, "examples_per_second": 50.0},
                               "uci-amazon": {"status": "succeeded", "metrics": {"accuracy": 0.875, "f1_macro": 0.75}, "examples": 400, "examples_per_second": 50.0},
                               "uci-imdb": {"status": "succeeded", "metrics": {"accuracy": 0.875, "f1_macro": 0.75}, "examples": 400, "examples_per_second": 50.0}}},
                  {"adapter_id": "%2$s", "subject": "baseline_head_only", "job_id": "%3$s", "method": "head_only",
                   "base_model": "all-minilm-l6-v2", "stored_bytes": 6000, "trainable_parameters": 1538, "stored_parameters": 1538,
                   "results": {"imdb-test": {"status": "succeeded", "metrics": {"accuracy": 0.625, "f1_macro": 0.5}, "examples": 400, "examples_per_second": 25.0},
                               "uci-amazon": {"status": "succeeded", "metrics": {"accuracy": 0.5, "f1_macro": 0.25}, "examples": 1000, "examples_per_second": 50.0},
                               "uci-imdb": {"status": "skipped", "metrics": {}, "examples": 0, "examples_per_second": 0.0}}},
                  {"adapter_id": "%4$s", "subject": "adapter", "job_id": "%5$s", "method": "lora",
                   "base_model": "all-minilm-l6-v2", "stored_bytes": 1000, "trainable_parameters": 500, "stored_parameters": 300,
                   "results": {"imdb-test": {"status": "succeeded", "metrics": {"accuracy": 0.5, "f1_macro": 0.5}, "examples": 400, "examples_per_second": 50.0},
                               "uci-amazon": {"status": "succeeded", "metrics": {"accuracy": 0.5, "f1_macro": 0.5}, "examples": 400, "examples_per_second": 50.0},
                               "uci-imdb": {"status": "succeeded", "metrics": {"accuracy": 0.5, "f1_macro": 0.5}, "examples": 400, "examples_per_second": 50.0}}},
                  {"adapter_id": "%4$s", "subject": "baseline_head_only", "job_id": "%5$s", "method": "head_only",
                   "base_model": "all-minilm-l6-v2", "stored_bytes": null, "trainable_parameters": null, "stored_parameters": null,
                   "results": {"imdb-test": {"status": "running", "metrics": {}, "examples": null, "examples_per_second": null},
                               "uci-amazon": {"status": "running", "metrics": {}, "examples": null, "examples_per_second": null},
                               "uci-imdb": {"status": "running", "metrics": {}, "examples": null, "examples_per_second": null}}}
                 ]}""".formatted(e.get("id").asText(), a.adapterId(), a.jobId(), b.adapterId(), b.jobId());
        assertThat(report).isEqualTo(dev.vbank.common.json.Json.mapper().readTree(expected));

        String csv = given().queryParam("format", "csv")
                .get("/internal/tenants/{t}/evaluations/{id}/report", tenant, e.get("id").asText())
                .then().statusCode(200).contentType(org.hamcrest.Matchers.startsWith("text/csv")).extract().asString();
        String expectedCsv = String.join("\n",
                "adapter_id,subject,job_id,method,base_model,stored_bytes,trainable_parameters,stored_parameters,"
                        + "imdb-test.accuracy,imdb-test.f1_macro,uci-amazon.accuracy,uci-amazon.f1_macro,uci-imdb.accuracy,"
                        + "uci-imdb.f1_macro",
                a.adapterId() + ",adapter," + a.jobId() + ",vblora,all-minilm-l6-v2,1000,500,300,0.875,0.75,0.875,0.75,0.875,0.75",
                a.adapterId() + ",baseline_head_only," + a.jobId() + ",head_only,all-minilm-l6-v2,6000,1538,1538,0.625,0.5,0.5,"
                        + "0.25,,",
                b.adapterId() + ",adapter," + b.jobId() + ",lora,all-minilm-l6-v2,1000,500,300,0.5,0.5,0.5,0.5,0.5,0.5",
                b.adapterId() + ",baseline_head_only," + b.jobId() + ",head_only,all-minilm-l6-v2,,,,,,,,,") + "\n";
        assertThat(csv).isEqualTo(expectedCsv);
        assertThat(given().header("Accept", "text/csv")
                .get("/internal/tenants/{t}/evaluations/{id}/report", tenant, e.get("id").asText()).asString())
                .isEqualTo(expectedCsv);
    }
}

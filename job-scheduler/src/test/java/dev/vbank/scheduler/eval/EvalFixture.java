package dev.vbank.scheduler.eval;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.command.DispatchJob;
import dev.vbank.common.command.WorkerEvent;
import dev.vbank.common.eval.EvaluationOutcome;
import dev.vbank.common.eval.TaskResult;
import dev.vbank.common.event.EventLevel;
import dev.vbank.common.event.EventType;
import dev.vbank.common.event.JobEvent;
import dev.vbank.common.json.Json;
import dev.vbank.scheduler.events.WorkerEventHandler;
import dev.vbank.scheduler.support.ArtifactStub;
import dev.vbank.scheduler.support.TestSupport;
import io.restassured.http.ContentType;
import io.restassured.response.Response;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;

/** Shared steps of the evaluation tests: succeeded fine-tuning jobs with adapters, API calls, worker events. */
final class EvalFixture {

    static final List<String> SENTIMENT_TASKS = List.of("imdb-test", "uci-amazon", "uci-imdb");

    private EvalFixture() {
    }

    record Trained(String jobId, String adapterId, String sha256) {
    }

    /** A succeeded fine-tuning job of {@code tenant} with its adapter registered at the artifact stub. */
    static Trained trained(DataSource ds, String tenant, String method, Map<String, String> metadata) throws Exception {
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        String jobId = "ftjob-ev" + suffix;
        String adapterId = "adapter-ev" + suffix;
        String sha = "sha" + suffix;
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("""
                insert into scheduler.jobs (id, tenant_id, status, max_attempts, model, training_file, method_type,
                    hyperparameters, seed, metadata, adapter_id, started_at, finished_at)
                values (?, ?, 'succeeded', 3, 'all-minilm-l6-v2', 'file-yelp', ?, ?::jsonb, 7, ?::jsonb, ?,
                    clock_timestamp(), clock_timestamp())""")) {
            ps.setString(1, jobId);
            ps.setString(2, tenant);
            ps.setString(3, method);
            ps.setString(4, "{\"n_epochs\": 2, \"batch_size\": 16, \"r\": 4, \"lr_head\": 0.01}");
            ps.setString(5, Json.mapper().writeValueAsString(metadata));
            ps.setString(6, adapterId);
            ps.executeUpdate();
        }
        ArtifactStub.putAdapter(tenant, adapterId, jobId, "all-minilm-l6-v2", method, sha);
        return new Trained(jobId, adapterId, sha);
    }

    static Response post(String tenant, String path, String body) {
        return given().contentType(ContentType.JSON).body(body).post("/internal/tenants/{t}/" + path, tenant);
    }

    static JsonNode json(Response r) throws Exception {
        return Json.mapper().readTree(r.asString());
    }

    static JsonNode get(String tenant, String path) throws Exception {
        Response r = given().get("/internal/tenants/{t}/" + path, tenant);
        if (r.statusCode() != 200) {
            throw new AssertionError(path + " -> " + r.statusCode() + " " + r.asString());
        }
        return json(r);
    }

    record Lease(String token, int attempt) {
    }

    static Lease lease(DataSource ds, String itemId) throws Exception {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "select lease_token, attempt from scheduler.jobs where id = ?")) {
            ps.setString(1, itemId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Lease(rs.getString(1), rs.getInt(2));
            }
        }
    }

    static String event(String itemId, Lease lease, WorkerEvent.Kind kind, String eventId, Map<String, Object> data)
            throws Exception {
        JobEvent ev = new JobEvent(eventId, JobEvent.OBJECT, System.currentTimeMillis() / 1000, EventLevel.INFO,
                kind == WorkerEvent.Kind.PROGRESS ? EventType.METRICS : EventType.MESSAGE, kind.name().toLowerCase(), data);
        return Json.mapper().writeValueAsString(new WorkerEvent(itemId, lease.attempt(), lease.token(), "worker-e",
                kind, ev));
    }

    static Map<String, Object> outcomeData(EvaluationOutcome outcome) {
        return Map.of(EvaluationOutcome.EVENT_DATA_KEY, Json.mapper().convertValue(outcome,
                new TypeReference<Map<String, Object>>() {
                }));
    }

    /** Every sentiment-en task scored with the same accuracy and f1. */
    static EvaluationOutcome outcome(String sha, double accuracy, double f1) {
        List<TaskResult> tasks = new ArrayList<>();
        for (String t : SENTIMENT_TASKS) {
            tasks.add(new TaskResult(t, TaskResult.SUCCEEDED, Map.of("accuracy", accuracy, "f1_macro", f1), 400, 50.0, null));
        }
        return new EvaluationOutcome(sha, 1000, 500, 300, tasks);
    }

    static WorkerEventHandler.Outcome succeed(WorkerEventHandler handler, DataSource ds, String itemId, String eventId,
                                              EvaluationOutcome outcome) throws Exception {
        return handler.handle(event(itemId, lease(ds, itemId), WorkerEvent.Kind.SUCCEEDED, eventId, outcomeData(outcome)));
    }

    /** The DispatchJob records the outbox holds for a job id, oldest first. */
    static List<DispatchJob> dispatches(DataSource ds, String jobId) throws Exception {
        List<DispatchJob> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "select payload from scheduler.outbox where key = ? and topic = 'vbank.jobs.dispatch' order by id")) {
            ps.setString(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(Json.mapper().readValue(rs.getString(1), DispatchJob.class));
                }
            }
        }
        return out;
    }

    /** Rows of the tables an evaluation request writes, for "nothing changed" checks. */
    static List<Long> rowCounts(DataSource ds) throws Exception {
        List<Long> out = new ArrayList<>();
        for (String t : List.of("jobs", "evaluations", "evaluation_items", "evaluation_results", "outbox", "suites",
                "job_events")) {
            out.add(TestSupport.count(ds, "select count(*) from scheduler." + t));
        }
        return out;
    }
}

package dev.vbank.scheduler.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.vbank.common.eval.EvaluationSubject;
import dev.vbank.common.eval.Suite;
import dev.vbank.common.eval.SuiteTask;
import dev.vbank.common.eval.TaskResult;
import dev.vbank.common.job.JobStatus;
import dev.vbank.common.json.Json;
import dev.vbank.scheduler.jobs.JobStore;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The SQL of suites, evaluations, their items and results; every method runs in the caller's transaction. */
@ApplicationScoped
public class EvaluationStore {

    public record SuiteRow(String id, String tenantId, String name, int version, String description, List<SuiteTask> tasks,
                           Instant createdAt) {
        public Suite toSuite() {
            return new Suite(id, tenantId, name, version, description, tasks);
        }

        public boolean builtIn() {
            return tenantId == null;
        }
    }

    public record EvaluationRow(String id, String tenantId, String suiteId, List<String> baselines,
                                Map<String, String> metadata, String sourceJobId, Instant cancelledAt,
                                String idempotencyKey, String requestHash, Instant createdAt) {
    }

    /** An item: its evaluation_items row with the state of its scheduler.jobs row. */
    public record ItemRow(String id, String evaluationId, int position, String adapterId, EvaluationSubject subject,
                          String subjectSha256, String adapterJobId, String adapterMethod, String baseModel, int tasksDone,
                          int tasksTotal, JobStatus status, String errorCode, String errorMessage, Instant finishedAt) {
    }

    public record ResultRow(EvaluationSubject subject, String subjectSha256, String suiteId, int suiteVersion, String task,
                            String status, Map<String, Double> metrics, int examples, double examplesPerSecond,
                            long storedBytes, long trainableParameters, long storedParameters, String detail,
                            Instant createdAt) {
    }

    public record NewItem(String id, int position, String adapterId, EvaluationSubject subject, String subjectSha256,
                          String adapterJobId, String adapterMethod, String baseModel, String trainingFile,
                          String validationFile, Map<String, Object> hyperparameters, long seed) {
    }

    private static final TypeReference<List<SuiteTask>> TASKS = new TypeReference<>() {
    };
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
    };
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {
    };
    private static final TypeReference<Map<String, Double>> METRICS = new TypeReference<>() {
    };

    // ---- suites

    /** A suite the tenant may use: a built-in one or its own. */
    public Optional<SuiteRow> suite(Connection c, String tenant, String id) throws SQLException {
        return oneSuite(c, "select * from scheduler.suites where id = ? and (tenant_id is null or tenant_id = ?)", id, tenant);
    }

    /** Resolves {@code name}, {@code name@version} or a suite id. */
    public Optional<SuiteRow> resolve(Connection c, String tenant, String ref) throws SQLException {
        if (ref.startsWith("suite-")) {
            return suite(c, tenant, ref);
        }
        int at = ref.indexOf('@');
        if (at >= 0) {
            return oneSuite(c, "select * from scheduler.suites where name = ? and version = ?"
                    + " and (tenant_id is null or tenant_id = ?)", ref.substring(0, at),
                    Integer.parseInt(ref.substring(at + 1)), tenant);
        }
        return oneSuite(c, "select * from scheduler.suites where name = ? and (tenant_id is null or tenant_id = ?)"
                + " order by version desc limit 1", ref, tenant);
    }

    public boolean isBuiltInName(Connection c, String name) throws SQLException {
        return oneSuite(c, "select * from scheduler.suites where tenant_id is null and name = ? limit 1", name).isPresent();
    }

    /** Inserts the next version of the tenant's suite {@code name}; the caller holds the name's advisory lock. */
    public SuiteRow insertSuite(Connection c, String id, String tenant, String name, String description,
                                List<SuiteTask> tasks) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select pg_advisory_xact_lock(hashtextextended(?, 0))")) {
            ps.setString(1, "suite:" + tenant + ":" + name);
            ps.execute();
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into scheduler.suites (id, tenant_id, name, version, description, tasks)
                values (?, ?, ?, (select coalesce(max(version), 0) + 1 from scheduler.suites where tenant_id = ? and name = ?),
                        ?, ?::jsonb)
                returning *""")) {
            ps.setString(1, id);
            ps.setString(2, tenant);
            ps.setString(3, name);
            ps.setString(4, tenant);
            ps.setString(5, name);
            ps.setString(6, description);
            ps.setString(7, JobStore.json(tasks));
            return suites(ps).get(0);
        }
    }

    /** Built-in and own suites, newest first: the latest version of each name, or every version of {@code name}. */
    public List<SuiteRow> suites(Connection c, String tenant, String name) throws SQLException {
        String sql = name != null
                ? "select * from scheduler.suites where (tenant_id is null or tenant_id = ?) and name = ? order by version desc"
                : """
                select * from (select distinct on (coalesce(tenant_id, ''), name) * from scheduler.suites
                               where tenant_id is null or tenant_id = ? order by coalesce(tenant_id, ''), name, version desc) s
                order by tenant_id is not null desc, created_at desc, id desc""";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, tenant);
            if (name != null) {
                ps.setString(2, name);
            }
            return suites(ps);
        }
    }

    private Optional<SuiteRow> oneSuite(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            List<SuiteRow> rows = suites(ps);
            return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
        }
    }

    private static List<SuiteRow> suites(PreparedStatement ps) throws SQLException {
        List<SuiteRow> rows = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.add(new SuiteRow(rs.getString("id"), rs.getString("tenant_id"), rs.getString("name"),
                        rs.getInt("version"), rs.getString("description"), read(rs.getString("tasks"), TASKS),
                        rs.getTimestamp("created_at").toInstant()));
            }
        }
        return rows;
    }

    // ---- evaluations

    /** Inserts an evaluation; empty when (tenant, idempotency key) exists already. */
    public Optional<EvaluationRow> insertEvaluation(Connection c, String id, String tenant, String suiteId,
                                                    List<String> baselines, Map<String, String> metadata,
                                                    String sourceJobId, String idempotencyKey, String requestHash)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                insert into scheduler.evaluations (id, tenant_id, suite_id, baselines, metadata, source_job_id,
                    idempotency_key, request_hash)
                values (?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?)
                on conflict (tenant_id, idempotency_key) do nothing
                returning *""")) {
            ps.setString(1, id);
            ps.setString(2, tenant);
            ps.setString(3, suiteId);
            ps.setString(4, JobStore.json(baselines));
            ps.setString(5, JobStore.json(metadata));
            ps.setString(6, sourceJobId);
            ps.setString(7, idempotencyKey);
            ps.setString(8, requestHash);
            List<EvaluationRow> rows = evaluations(ps);
            return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
        }
    }

    public Optional<EvaluationRow> evaluation(Connection c, String tenant, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "select * from scheduler.evaluations where tenant_id = ? and id = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, id);
            List<EvaluationRow> rows = evaluations(ps);
            return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
        }
    }

    public Optional<EvaluationRow> byIdempotencyKey(Connection c, String tenant, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "select * from scheduler.evaluations where tenant_id = ? and idempotency_key = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, key);
            List<EvaluationRow> rows = evaluations(ps);
            return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
        }
    }

    public JobStore.Page<EvaluationRow> evaluations(Connection c, String tenant, String afterId, int limit)
            throws SQLException {
        String sql = "select * from scheduler.evaluations where tenant_id = ?"
                + (afterId != null ? " and (created_at, id) < (select a.created_at, a.id from scheduler.evaluations a"
                + " where a.tenant_id = ? and a.id = ?)" : "")
                + " order by created_at desc, id desc limit ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 0;
            ps.setString(++i, tenant);
            if (afterId != null) {
                ps.setString(++i, tenant);
                ps.setString(++i, afterId);
            }
            ps.setInt(++i, limit + 1);
            List<EvaluationRow> rows = evaluations(ps);
            boolean more = rows.size() > limit;
            return new JobStore.Page<>(more ? rows.subList(0, limit) : rows, more);
        }
    }

    public void markCancelled(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "update scheduler.evaluations set cancelled_at = coalesce(cancelled_at, clock_timestamp()) where id = ?")) {
            ps.setString(1, id);
            ps.executeUpdate();
        }
    }

    private static List<EvaluationRow> evaluations(PreparedStatement ps) throws SQLException {
        List<EvaluationRow> rows = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Timestamp cancelled = rs.getTimestamp("cancelled_at");
                rows.add(new EvaluationRow(rs.getString("id"), rs.getString("tenant_id"), rs.getString("suite_id"),
                        read(rs.getString("baselines"), STRINGS), read(rs.getString("metadata"), STRING_MAP),
                        rs.getString("source_job_id"), cancelled == null ? null : cancelled.toInstant(),
                        rs.getString("idempotency_key"), rs.getString("request_hash"),
                        rs.getTimestamp("created_at").toInstant()));
            }
        }
        return rows;
    }

    // ---- items

    /**
     * Inserts an item: its scheduler.jobs row (kind evaluation) in {@code queued}, or straight in {@code succeeded} when
     * {@code cached}, and its evaluation_items row.
     */
    public void insertItem(Connection c, String tenant, String evaluationId, NewItem item, int tasksTotal,
                           boolean cached, int maxAttempts) throws SQLException {
        boolean baseline = item.subject() == EvaluationSubject.BASELINE_HEAD_ONLY;
        try (PreparedStatement ps = c.prepareStatement("""
                insert into scheduler.jobs (id, tenant_id, kind, status, max_attempts, model, training_file,
                    validation_file, method_type, hyperparameters, seed, metadata, started_at, finished_at)
                values (?, ?, 'evaluation', ?, ?, ?, ?, ?, ?, ?::jsonb, ?, '{}'::jsonb,
                    case when ? then clock_timestamp() end, case when ? then clock_timestamp() end)""")) {
            int i = 0;
            ps.setString(++i, item.id());
            ps.setString(++i, tenant);
            ps.setString(++i, cached ? JobStatus.SUCCEEDED.wireName() : JobStatus.QUEUED.wireName());
            ps.setInt(++i, maxAttempts);
            ps.setString(++i, item.baseModel());
            ps.setString(++i, baseline ? item.trainingFile() : null);
            ps.setString(++i, baseline ? item.validationFile() : null);
            ps.setString(++i, baseline ? EvaluationRequest.HEAD_ONLY : null);
            ps.setString(++i, JobStore.json(baseline ? item.hyperparameters() : Map.of()));
            ps.setLong(++i, item.seed());
            ps.setBoolean(++i, cached);
            ps.setBoolean(++i, cached);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("""
                insert into scheduler.evaluation_items (id, evaluation_id, position, adapter_id, subject, subject_sha256,
                    adapter_job_id, adapter_method, base_model, tasks_done, tasks_total)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            int i = 0;
            ps.setString(++i, item.id());
            ps.setString(++i, evaluationId);
            ps.setInt(++i, item.position());
            ps.setString(++i, item.adapterId());
            ps.setString(++i, item.subject().wireName());
            ps.setString(++i, item.subjectSha256());
            ps.setString(++i, item.adapterJobId());
            ps.setString(++i, item.adapterMethod());
            ps.setString(++i, item.baseModel());
            ps.setInt(++i, cached ? tasksTotal : 0);
            ps.setInt(++i, tasksTotal);
            ps.executeUpdate();
        }
    }

    private static final String ITEMS = """
            select i.*, j.status, j.error_code, j.error_message, j.finished_at
            from scheduler.evaluation_items i join scheduler.jobs j on j.id = i.id""";

    public List<ItemRow> items(Connection c, String evaluationId) throws SQLException {
        return items(c, ITEMS + " where i.evaluation_id = ? order by i.position", evaluationId);
    }

    public Optional<ItemRow> item(Connection c, String itemId) throws SQLException {
        List<ItemRow> rows = items(c, ITEMS + " where i.id = ?", itemId);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    /** Items of one adapter across the tenant's evaluations, oldest evaluation first. */
    public List<ItemRow> itemsOfAdapter(Connection c, String tenant, String adapterId) throws SQLException {
        return items(c, ITEMS + " join scheduler.evaluations e on e.id = i.evaluation_id"
                + " where e.tenant_id = ? and i.adapter_id = ? order by e.created_at, e.id, i.position", tenant, adapterId);
    }

    public void progress(Connection c, String itemId, int done) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                update scheduler.evaluation_items set tasks_done = greatest(tasks_done, least(?, tasks_total))
                where id = ?""")) {
            ps.setInt(1, done);
            ps.setString(2, itemId);
            ps.executeUpdate();
        }
    }

    public void completeProgress(Connection c, String itemId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "update scheduler.evaluation_items set tasks_done = tasks_total where id = ?")) {
            ps.setString(1, itemId);
            ps.executeUpdate();
        }
    }

    private static List<ItemRow> items(Connection c, String sql, Object... args) throws SQLException {
        List<ItemRow> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Timestamp finished = rs.getTimestamp("finished_at");
                    rows.add(new ItemRow(rs.getString("id"), rs.getString("evaluation_id"), rs.getInt("position"),
                            rs.getString("adapter_id"), EvaluationSubject.fromWireName(rs.getString("subject")),
                            rs.getString("subject_sha256"), rs.getString("adapter_job_id"),
                            rs.getString("adapter_method"), rs.getString("base_model"), rs.getInt("tasks_done"),
                            rs.getInt("tasks_total"), JobStatus.fromWireName(rs.getString("status")),
                            rs.getString("error_code"), rs.getString("error_message"),
                            finished == null ? null : finished.toInstant()));
                }
            }
        }
        return rows;
    }

    // ---- results

    /** The results stored under (subject, sha256, suite) for the suite's tasks, in no particular order. */
    public List<ResultRow> results(Connection c, EvaluationSubject subject, String sha256, String suiteId, int suiteVersion)
            throws SQLException {
        List<ResultRow> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                select * from scheduler.evaluation_results
                where subject = ? and subject_sha256 = ? and suite_id = ? and suite_version = ?""")) {
            ps.setString(1, subject.wireName());
            ps.setString(2, sha256);
            ps.setString(3, suiteId);
            ps.setInt(4, suiteVersion);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new ResultRow(EvaluationSubject.fromWireName(rs.getString("subject")),
                            rs.getString("subject_sha256"), rs.getString("suite_id"), rs.getInt("suite_version"),
                            rs.getString("task"), rs.getString("status"), read(rs.getString("metrics"), METRICS),
                            rs.getInt("examples"), rs.getDouble("examples_per_second"), rs.getLong("stored_bytes"),
                            rs.getLong("trainable_parameters"), rs.getLong("stored_parameters"), rs.getString("detail"),
                            rs.getTimestamp("created_at").toInstant()));
                }
            }
        }
        return rows;
    }

    /** Stores a result unless one exists for its key (results are immutable); true when this one was new. */
    public boolean insertResult(Connection c, EvaluationSubject subject, String sha256, String suiteId, int suiteVersion,
                                TaskResult result, String scoredSha256, long storedBytes, long trainableParameters,
                                long storedParameters, String itemId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                insert into scheduler.evaluation_results (subject, subject_sha256, suite_id, suite_version, task, status,
                    metrics, examples, examples_per_second, scored_sha256, stored_bytes, trainable_parameters,
                    stored_parameters, detail, item_id)
                values (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?)
                on conflict do nothing""")) {
            int i = 0;
            ps.setString(++i, subject.wireName());
            ps.setString(++i, sha256);
            ps.setString(++i, suiteId);
            ps.setInt(++i, suiteVersion);
            ps.setString(++i, result.task());
            ps.setString(++i, result.status());
            ps.setString(++i, JobStore.json(result.metrics()));
            ps.setInt(++i, result.examples());
            ps.setDouble(++i, result.examplesPerSecond());
            ps.setString(++i, scoredSha256);
            ps.setLong(++i, storedBytes);
            ps.setLong(++i, trainableParameters);
            ps.setLong(++i, storedParameters);
            ps.setString(++i, result.detail());
            ps.setString(++i, itemId);
            return ps.executeUpdate() == 1;
        }
    }

    static <T> T read(String text, TypeReference<T> type) {
        try {
            return Json.mapper().readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

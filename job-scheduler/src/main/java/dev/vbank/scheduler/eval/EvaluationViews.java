package dev.vbank.scheduler.eval;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.vbank.common.eval.EvaluationSubject;
import dev.vbank.common.eval.SuiteTask;
import dev.vbank.common.job.JobStatus;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The JSON (and CSV) objects of the evaluation API, read in the caller's transaction. */
@ApplicationScoped
public class EvaluationViews {

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record SuiteObject(String id, String object, String name, int version, boolean builtIn, String description,
                              List<SuiteTask> tasks, long createdAt) {
        public static SuiteObject of(EvaluationStore.SuiteRow s) {
            return new SuiteObject(s.id(), "evaluation.suite", s.name(), s.version(), s.builtIn(), s.description(),
                    s.tasks(), s.createdAt().getEpochSecond());
        }
    }

    public record SuiteRef(String id, String name, int version) {
    }

    public record Progress(int tasksDone, int tasksTotal) {
    }

    public record ItemError(String code, String message) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ItemObject(String id, String adapterId, EvaluationSubject subject, JobStatus status, Progress progress,
                             ItemError error) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record EvaluationObject(String id, String object, String status, SuiteRef suite, List<String> baselines,
                                   long createdAt, Long finishedAt, Map<String, String> metadata,
                                   Map<String, Integer> counts, List<ItemObject> items) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ResultObject(String object, String evaluationId, String itemId, String adapterId,
                               EvaluationSubject subject, String subjectSha256, String suiteId, int suiteVersion,
                               String task, String status, Map<String, Double> metrics, int examples,
                               double examplesPerSecond, long storedBytes, long trainableParameters,
                               long storedParameters, String detail, long createdAt) {
    }

    public record ReportTask(String name, List<String> metrics) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ReportCell(String status, Map<String, Double> metrics, Integer examples, Double examplesPerSecond) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ReportRow(String adapterId, EvaluationSubject subject, String jobId, String method, String baseModel,
                            Long storedBytes, Long trainableParameters, Long storedParameters,
                            Map<String, ReportCell> results) {
    }

    public record Report(String object, String evaluationId, SuiteRef suite, List<ReportTask> tasks,
                         List<ReportRow> rows) {
    }

    private final EvaluationStore store;

    public EvaluationViews(EvaluationStore store) {
        this.store = store;
    }

    public EvaluationObject evaluation(Connection c, EvaluationStore.EvaluationRow e) throws SQLException {
        EvaluationStore.SuiteRow suite = suite(c, e);
        List<EvaluationStore.ItemRow> items = store.items(c, e.id());
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String s : List.of("queued", "running", "succeeded", "failed", "cancelled")) {
            counts.put(s, 0);
        }
        for (EvaluationStore.ItemRow i : items) {
            counts.merge(countKey(i.status()), 1, Integer::sum);
        }
        boolean allTerminal = items.stream().allMatch(i -> i.status().isTerminal());
        String status;
        if (e.cancelledAt() != null) {
            status = "cancelled";
        } else if (allTerminal) {
            status = counts.get("failed") > 0 ? "failed" : counts.get("cancelled") > 0 ? "cancelled" : "succeeded";
        } else if (items.stream().allMatch(i -> i.status() == JobStatus.QUEUED)) {
            status = "queued";
        } else {
            status = "running";
        }
        Long finishedAt = allTerminal ? items.stream().map(EvaluationStore.ItemRow::finishedAt)
                .filter(java.util.Objects::nonNull).max(Instant::compareTo).map(Instant::getEpochSecond)
                .orElse(e.createdAt().getEpochSecond()) : null;
        List<ItemObject> itemObjects = items.stream().map(i -> new ItemObject(i.id(), i.adapterId(), i.subject(),
                i.status(), new Progress(i.tasksDone(), i.tasksTotal()),
                i.errorCode() == null ? null : new ItemError(i.errorCode(), i.errorMessage()))).toList();
        return new EvaluationObject(e.id(), "evaluation", status, ref(suite), e.baselines(),
                e.createdAt().getEpochSecond(), finishedAt, e.metadata(), counts, itemObjects);
    }

    private static String countKey(JobStatus s) {
        return switch (s) {
            case VALIDATING_FILES, QUEUED -> "queued";
            case RUNNING, CANCELLING -> "running";
            default -> s.wireName();
        };
    }

    /** Results of the evaluation's succeeded items, item by item in the suite's task order. */
    public List<ResultObject> results(Connection c, EvaluationStore.EvaluationRow e) throws SQLException {
        EvaluationStore.SuiteRow suite = suite(c, e);
        List<ResultObject> out = new ArrayList<>();
        for (EvaluationStore.ItemRow item : store.items(c, e.id())) {
            out.addAll(results(c, item, suite));
        }
        return out;
    }

    /** Results of one adapter (and its baselines) across the tenant's evaluations. */
    public List<ResultObject> adapterResults(Connection c, String tenant, String adapterId) throws SQLException {
        List<ResultObject> out = new ArrayList<>();
        Map<String, EvaluationStore.SuiteRow> suites = new LinkedHashMap<>();
        for (EvaluationStore.ItemRow item : store.itemsOfAdapter(c, tenant, adapterId)) {
            EvaluationStore.EvaluationRow e = store.evaluation(c, tenant, item.evaluationId()).orElseThrow();
            EvaluationStore.SuiteRow suite = suites.computeIfAbsent(e.suiteId(), id -> suiteOrThrow(c, tenant, id));
            out.addAll(results(c, item, suite));
        }
        return out;
    }

    private EvaluationStore.SuiteRow suiteOrThrow(Connection c, String tenant, String id) {
        try {
            return store.suite(c, tenant, id).orElseThrow();
        } catch (SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private List<ResultObject> results(Connection c, EvaluationStore.ItemRow item, EvaluationStore.SuiteRow suite)
            throws SQLException {
        if (item.status() != JobStatus.SUCCEEDED) {
            return List.of();
        }
        Map<String, EvaluationStore.ResultRow> byTask = store.results(c, item.subject(), item.subjectSha256(), suite.id(),
                suite.version()).stream().collect(Collectors.toMap(EvaluationStore.ResultRow::task, Function.identity()));
        List<ResultObject> out = new ArrayList<>();
        for (SuiteTask t : suite.tasks()) {
            EvaluationStore.ResultRow r = byTask.get(t.name());
            if (r != null) {
                out.add(new ResultObject("evaluation.result", item.evaluationId(), item.id(), item.adapterId(),
                        item.subject(), item.subjectSha256(), suite.id(), suite.version(), r.task(), r.status(),
                        r.metrics(), r.examples(), r.examplesPerSecond(), r.storedBytes(), r.trainableParameters(),
                        r.storedParameters(), r.detail(), r.createdAt().getEpochSecond()));
            }
        }
        return out;
    }

    /** The comparison: one row per item (adapter or baseline), one cell per suite task. */
    public Report report(Connection c, EvaluationStore.EvaluationRow e) throws SQLException {
        EvaluationStore.SuiteRow suite = suite(c, e);
        List<ReportRow> rows = new ArrayList<>();
        for (EvaluationStore.ItemRow item : store.items(c, e.id())) {
            Map<String, ResultObject> byTask = results(c, item, suite).stream()
                    .collect(Collectors.toMap(ResultObject::task, Function.identity()));
            Map<String, ReportCell> cells = new LinkedHashMap<>();
            for (SuiteTask t : suite.tasks()) {
                ResultObject r = byTask.get(t.name());
                cells.put(t.name(), r == null ? new ReportCell(item.status().wireName(), Map.of(), null, null)
                        : new ReportCell(r.status(), ordered(r.metrics(), t.metrics()), r.examples(),
                        r.examplesPerSecond()));
            }
            ResultObject any = byTask.values().stream().findFirst().orElse(null);
            rows.add(new ReportRow(item.adapterId(), item.subject(), item.adapterJobId(),
                    item.subject() == EvaluationSubject.BASELINE_HEAD_ONLY ? EvaluationRequest.HEAD_ONLY
                            : item.adapterMethod(),
                    item.baseModel(), any == null ? null : any.storedBytes(),
                    any == null ? null : any.trainableParameters(), any == null ? null : any.storedParameters(), cells));
        }
        return new Report("evaluation.report", e.id(), ref(suite),
                suite.tasks().stream().map(t -> new ReportTask(t.name(), t.metrics())).toList(), rows);
    }

    /** The report as CSV: the fixed columns, then one {@code task.metric} column per metric of each task. */
    public static String csv(Report report) {
        StringBuilder out = new StringBuilder("adapter_id,subject,job_id,method,base_model,stored_bytes,"
                + "trainable_parameters,stored_parameters");
        for (ReportTask t : report.tasks()) {
            for (String m : t.metrics()) {
                out.append(',').append(cell(t.name() + "." + m));
            }
        }
        out.append('\n');
        for (ReportRow r : report.rows()) {
            out.append(String.join(",", cell(r.adapterId()), cell(r.subject().wireName()), cell(r.jobId()),
                    cell(r.method()), cell(r.baseModel()), cell(r.storedBytes()), cell(r.trainableParameters()),
                    cell(r.storedParameters())));
            for (ReportTask t : report.tasks()) {
                ReportCell c = r.results().get(t.name());
                for (String m : t.metrics()) {
                    out.append(',').append(cell(c == null ? null : c.metrics().get(m)));
                }
            }
            out.append('\n');
        }
        return out.toString();
    }

    private static String cell(Object value) {
        if (value == null) {
            return "";
        }
        String s = value.toString();
        return s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")
                ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    private static Map<String, Double> ordered(Map<String, Double> metrics, List<String> order) {
        Map<String, Double> out = new LinkedHashMap<>();
        order.forEach(m -> {
            if (metrics.containsKey(m)) {
                out.put(m, metrics.get(m));
            }
        });
        metrics.forEach(out::putIfAbsent);
        return out;
    }

    private EvaluationStore.SuiteRow suite(Connection c, EvaluationStore.EvaluationRow e) throws SQLException {
        return store.suite(c, e.tenantId(), e.suiteId())
                .orElseThrow(() -> new IllegalStateException("suite of " + e.id() + " is missing"));
    }

    private static SuiteRef ref(EvaluationStore.SuiteRow s) {
        return new SuiteRef(s.id(), s.name(), s.version());
    }
}

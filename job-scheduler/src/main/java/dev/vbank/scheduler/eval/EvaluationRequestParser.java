package dev.vbank.scheduler.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.eval.SuiteTask;
import dev.vbank.common.eval.TaskSplit;
import dev.vbank.service.error.Invalid;
import dev.vbank.scheduler.api.RequestBodies;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses create-evaluation and create-suite bodies (and the {@code evaluation} field of a create-job body), or throws a 400
 * {@link Invalid} whose {@code param} is the path of the first offending field. What needs the database or the
 * artifact-service (does the suite exist, whose adapter is it) is checked by the {@link EvaluationService}.
 */
public final class EvaluationRequestParser {

    public record NewSuite(String name, String description, List<SuiteTask> tasks) {
    }

    public static final Map<String, Set<String>> METRICS = Map.of(
            "classification", Set.of("accuracy", "f1_macro", "mcc"),
            "regression", Set.of("pearson", "spearman", "mse"));
    /** Public datasets the workers fetch themselves; all of them are two-class sentiment sets. */
    public static final Set<String> PUBLIC_DATASETS = Set.of("imdb-50k", "uci-amazon", "uci-imdb", "uci-yelp");
    public static final int MAX_TASKS = 20;

    static final Pattern ID = Pattern.compile("[a-zA-Z0-9_-][a-zA-Z0-9_.-]{0,127}");
    static final Pattern SUITE_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    static final Pattern SUITE_REF = Pattern.compile("([a-z0-9][a-z0-9._-]{0,63})(?:@([1-9][0-9]{0,8}))?");
    static final Pattern TASK_NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}");

    private EvaluationRequestParser() {
    }

    public static EvaluationRequest parseEvaluation(String body) {
        JsonNode root = RequestBodies.object(body);
        RequestBodies.rejectUnknown(root, Set.of("suite", "adapters", "jobs", "adapter_filter", "baselines", "metadata"),
                "");
        String suite = suiteRef(root.get("suite"), "suite");
        List<String> adapters = ids(root.get("adapters"), "adapters");
        List<String> jobs = ids(root.get("jobs"), "jobs");
        Map<String, String> filter = Map.of();
        JsonNode f = root.get("adapter_filter");
        if (f != null && !f.isNull()) {
            if (!f.isObject()) {
                throw Invalid.of("adapter_filter", "adapter_filter must be an object like {\"metadata\": {..}}");
            }
            RequestBodies.rejectUnknown(f, Set.of("metadata"), "adapter_filter.");
            filter = RequestBodies.metadata(f.get("metadata"), "adapter_filter.metadata");
            if (filter.isEmpty()) {
                throw Invalid.of("adapter_filter.metadata",
                        "adapter_filter.metadata must hold at least one key (an empty filter would select every job)");
            }
        }
        if (adapters.isEmpty() && jobs.isEmpty() && filter.isEmpty()) {
            throw Invalid.of("adapters", "name at least one adapter: adapters, jobs or adapter_filter");
        }
        return new EvaluationRequest(suite, adapters, jobs, filter, baselines(root.get("baselines"), "baselines"),
                RequestBodies.metadata(root.get("metadata"), "metadata"));
    }

    /** The {@code evaluation} field of a create-job body. */
    public static AutoEvaluation parseAutoEvaluation(JsonNode node) {
        if (!node.isObject()) {
            throw Invalid.of("evaluation", "evaluation must be an object like {\"suite\": \"sentiment-en\"}");
        }
        RequestBodies.rejectUnknown(node, Set.of("suite", "baselines", "metadata"), "evaluation.");
        return new AutoEvaluation(suiteRef(node.get("suite"), "evaluation.suite"),
                baselines(node.get("baselines"), "evaluation.baselines"),
                RequestBodies.metadata(node.get("metadata"), "evaluation.metadata"));
    }

    public static NewSuite parseSuite(String body) {
        JsonNode root = RequestBodies.object(body);
        RequestBodies.rejectUnknown(root, Set.of("name", "description", "tasks"), "");
        JsonNode n = root.get("name");
        if (n == null || n.isNull()) {
            throw Invalid.of("name", "name is required");
        }
        if (!n.isTextual() || !SUITE_NAME.matcher(n.asText()).matches()) {
            throw Invalid.of("name", "name must be 1 to 64 characters of a-z, 0-9, ., _ and -, starting with a"
                    + " letter or digit");
        }
        String description = "";
        JsonNode d = root.get("description");
        if (d != null && !d.isNull()) {
            if (!d.isTextual() || d.asText().length() > 1000) {
                throw Invalid.of("description", "description must be a string of at most 1000 characters");
            }
            description = d.asText();
        }
        JsonNode tasks = root.get("tasks");
        if (tasks == null || tasks.isNull() || !tasks.isArray() || tasks.isEmpty() || tasks.size() > MAX_TASKS) {
            throw Invalid.of("tasks", "tasks must be an array of 1 to " + MAX_TASKS + " tasks");
        }
        List<SuiteTask> out = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < tasks.size(); i++) {
            SuiteTask task = task(tasks.get(i), "tasks[" + i + "]");
            if (!names.add(task.name())) {
                throw Invalid.of("tasks[" + i + "].name", "task name '" + task.name() + "' is used twice");
            }
            out.add(task);
        }
        return new NewSuite(n.asText(), description, out);
    }

    private static SuiteTask task(JsonNode t, String path) {
        if (!t.isObject()) {
            throw Invalid.of(path, path + " must be an object");
        }
        RequestBodies.rejectUnknown(t, Set.of("name", "dataset", "task_type", "metrics", "split"), path + ".");
        String name = text(t, "name", path + ".name");
        if (!TASK_NAME.matcher(name).matches()) {
            throw Invalid.of(path + ".name", "task names are 1 to 64 characters of a-z, A-Z, 0-9, ., _ and -");
        }
        String dataset = text(t, "dataset", path + ".dataset");
        if (dataset.startsWith(SuiteTask.PUBLIC_PREFIX)) {
            if (!PUBLIC_DATASETS.contains(dataset.substring(SuiteTask.PUBLIC_PREFIX.length()))) {
                throw Invalid.of(path + ".dataset", "unknown public dataset '" + dataset + "'; available: "
                        + String.join(", ", PUBLIC_DATASETS.stream().sorted().map(s -> "public:" + s).toList()));
            }
        } else if (!ID.matcher(dataset).matches() || dataset.contains("..")) {
            throw Invalid.of(path + ".dataset", "dataset must be public:<name> or the id of one of your files");
        }
        String taskType = text(t, "task_type", path + ".task_type");
        Set<String> allowed = METRICS.get(taskType);
        if (allowed == null) {
            throw Invalid.of(path + ".task_type", "task_type must be classification or regression");
        }
        if (dataset.startsWith(SuiteTask.PUBLIC_PREFIX) && !taskType.equals("classification")) {
            throw Invalid.of(path + ".task_type", "the public datasets are classification sets");
        }
        JsonNode m = t.get("metrics");
        if (m == null || !m.isArray() || m.isEmpty() || m.size() > 6) {
            throw Invalid.of(path + ".metrics", "metrics must be a non-empty array of metric names");
        }
        List<String> metrics = new ArrayList<>();
        for (int i = 0; i < m.size(); i++) {
            JsonNode v = m.get(i);
            if (!v.isTextual() || !allowed.contains(v.asText()) || metrics.contains(v.asText())) {
                throw Invalid.of(path + ".metrics[" + i + "]", "metrics of a " + taskType + " task are distinct"
                        + " names from " + String.join(", ", allowed.stream().sorted().toList()));
            }
            metrics.add(v.asText());
        }
        return new SuiteTask(name, dataset, null, taskType, metrics, split(t.get("split"), path + ".split"));
    }

    private static TaskSplit split(JsonNode s, String path) {
        if (s == null || s.isNull()) {
            return TaskSplit.all();
        }
        if (!s.isObject()) {
            throw Invalid.of(path, path + " must be an object");
        }
        RequestBodies.rejectUnknown(s, Set.of("part", "test_fraction", "seed", "limit"), path + ".");
        String part = s.hasNonNull("part") ? text(s, "part", path + ".part") : TaskSplit.ALL;
        Integer limit = null;
        JsonNode l = s.get("limit");
        if (l != null && !l.isNull()) {
            if (!l.isIntegralNumber() || !l.canConvertToInt() || l.asInt() < 1 || l.asInt() > 1_000_000) {
                throw Invalid.of(path + ".limit", "limit must be an integer from 1 to 1000000");
            }
            limit = l.asInt();
        }
        JsonNode f = s.get("test_fraction");
        JsonNode seed = s.get("seed");
        switch (part) {
            case TaskSplit.ALL -> {
                if (f != null && !f.isNull()) {
                    throw Invalid.of(path + ".test_fraction", "test_fraction applies only to part test");
                }
                if (seed != null && !seed.isNull()) {
                    throw Invalid.of(path + ".seed", "seed applies only to part test");
                }
                return new TaskSplit(TaskSplit.ALL, null, null, limit);
            }
            case TaskSplit.TEST -> {
                if (f == null || !f.isNumber() || !(f.asDouble() > 0 && f.asDouble() < 1)) {
                    throw Invalid.of(path + ".test_fraction", "a test split needs test_fraction in (0, 1)");
                }
                long sd = 0;
                if (seed != null && !seed.isNull()) {
                    if (!seed.isIntegralNumber() || !seed.canConvertToLong() || seed.asLong() < 0
                            || seed.asLong() > Integer.MAX_VALUE) {
                        throw Invalid.of(path + ".seed", "seed must be an integer from 0 to " + Integer.MAX_VALUE);
                    }
                    sd = seed.asLong();
                }
                return new TaskSplit(TaskSplit.TEST, f.asDouble(), sd, limit);
            }
            default -> throw Invalid.of(path + ".part", "part must be all or test");
        }
    }

    private static String suiteRef(JsonNode v, String param) {
        if (v == null || v.isNull()) {
            throw Invalid.of(param, param + " is required: a suite name, name@version or suite id");
        }
        if (!v.isTextual() || v.asText().length() > 128
                || !(SUITE_REF.matcher(v.asText()).matches() || v.asText().startsWith("suite-")
                && ID.matcher(v.asText()).matches())) {
            throw Invalid.of(param, param + " must be a suite name, name@version or suite id");
        }
        return v.asText();
    }

    private static List<String> ids(JsonNode v, String param) {
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw Invalid.of(param, param + " must be an array of ids");
        }
        if (v.size() > EvaluationRequest.MAX_ITEMS) {
            throw Invalid.of(param, param + " may list at most " + EvaluationRequest.MAX_ITEMS + " ids");
        }
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isTextual() || !ID.matcher(e.asText()).matches() || e.asText().contains("..")) {
                throw Invalid.of(param + "[" + i + "]", "ids are 1 to 128 characters of a-z, A-Z, 0-9, _, . and -");
            }
            out.add(e.asText());
        }
        return List.copyOf(out);
    }

    private static List<String> baselines(JsonNode v, String param) {
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray() || v.size() > 1) {
            throw Invalid.of(param, param + " must be [] or [\"head_only\"]");
        }
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual() || !v.get(i).asText().equals(EvaluationRequest.HEAD_ONLY)) {
                throw Invalid.of(param + "[" + i + "]", "the only baseline is head_only");
            }
        }
        return v.isEmpty() ? List.of() : List.of(EvaluationRequest.HEAD_ONLY);
    }

    private static String text(JsonNode node, String field, String param) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw Invalid.of(param, param + " is required");
        }
        if (!v.isTextual() || v.asText().length() > 256) {
            throw Invalid.of(param, param + " must be a string of at most 256 characters");
        }
        return v.asText();
    }
}

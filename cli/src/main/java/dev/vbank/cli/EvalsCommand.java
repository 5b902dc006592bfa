package dev.vbank.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.common.job.JobStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

@Command(name = "evals", mixinStandardHelpOptions = true,
        description = "Evaluations: a suite run over adapters (and baselines), with results and a comparison report.",
        subcommands = {EvalsCommand.Create.class, EvalsCommand.ListEvals.class, EvalsCommand.Get.class,
                EvalsCommand.Cancel.class, EvalsCommand.Results.class, EvalsCommand.Report.class})
final class EvalsCommand {

    static final String BASE = "/v1/evaluations";

    static void summary(PrintWriter out, JsonNode e) {
        JsonNode c = e.path("counts");
        out.printf("%s  %s  suite %s@%s  items: %d succeeded, %d running, %d queued, %d failed, %d cancelled%n",
                e.path("id").asText(), e.path("status").asText(), e.path("suite").path("name").asText(),
                e.path("suite").path("version").asText(), c.path("succeeded").asInt(), c.path("running").asInt(),
                c.path("queued").asInt(), c.path("failed").asInt(), c.path("cancelled").asInt());
    }

    static String progressKey(JsonNode evaluation) {
        return evaluation.path("status").asText() + " " + evaluation.path("counts");
    }

    static void resultsTable(PrintWriter out, List<JsonNode> results) {
        Render.table(out, List.of("ADAPTER", "SUBJECT", "TASK", "STATUS", "METRICS", "EXAMPLES"), results.stream()
                .map(r -> List.of(Render.text(r, "adapter_id"), Render.text(r, "subject"), Render.text(r, "task"),
                        Render.text(r, "status"), metrics(r.path("metrics")), Render.text(r, "examples"))).toList());
    }

    static String metrics(JsonNode m) {
        List<String> parts = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            parts.add(e.getKey() + "=" + (e.getValue().isNumber()
                    ? String.format(Locale.ROOT, "%.4f", e.getValue().asDouble()) : e.getValue().asText()));
        }
        return parts.isEmpty() ? "-" : String.join(" ", parts);
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Evaluate adapters with a suite: the listed adapters, the adapters of the listed jobs and of the "
                    + "jobs whose metadata matches --filter.")
    static final class Create extends ApiCommand {
        @Option(names = "--suite", required = true, description = "name, name@version or suite id")
        String suite;
        @Option(names = "--adapter", paramLabel = "ADAPTER_ID", description = "repeatable")
        List<String> adapters = new ArrayList<>();
        @Option(names = "--job", paramLabel = "JOB_ID", description = "a succeeded job's adapter (repeatable)")
        List<String> jobs = new ArrayList<>();
        @Option(names = "--filter", paramLabel = "KEY=VALUE", description = "adapters of succeeded jobs with this metadata "
                + "(repeatable: all must match)")
        List<String> filter = new ArrayList<>();
        @Option(names = "--baseline", paramLabel = "BASELINE", description = "e.g. head_only (repeatable)")
        List<String> baselines = new ArrayList<>();
        @Option(names = "--metadata", paramLabel = "KEY=VALUE", description = "repeatable")
        List<String> metadata = new ArrayList<>();
        @Option(names = "--idempotency-key", paramLabel = "KEY")
        String idempotencyKey;
        @Option(names = "--wait", description = "poll until the evaluation ends (exit 0 succeeded, 5 failed, 6 cancelled)")
        boolean await;

        @Override
        public Integer call() throws InterruptedException {
            if (adapters.isEmpty() && jobs.isEmpty() && filter.isEmpty()) {
                throw CliException.usage("name what to evaluate: --adapter, --job or --filter");
            }
            ApiClient api = api();
            ApiClient.Json r = api.post(BASE, body(), idempotencyKey);
            if (!await) {
                return show(r, () -> summary(out(), r.tree()));
            }
            if (!json()) {
                summary(out(), r.tree());
            }
            return Get.await(this, api, r.tree().path("id").asText(), progressKey(r.tree()));
        }

        ObjectNode body() {
            ObjectNode body = ApiClient.JSON.createObjectNode();
            body.put("suite", suite);
            if (!adapters.isEmpty()) {
                adapters.forEach(body.putArray("adapters")::add);
            }
            if (!jobs.isEmpty()) {
                jobs.forEach(body.putArray("jobs")::add);
            }
            Map<String, String> f = pairs("--filter", filter);
            if (!f.isEmpty()) {
                ObjectNode md = body.putObject("adapter_filter").putObject("metadata");
                f.forEach(md::put);
            }
            if (!baselines.isEmpty()) {
                baselines.forEach(body.putArray("baselines")::add);
            }
            Map<String, String> m = pairs("--metadata", metadata);
            if (!m.isEmpty()) {
                ObjectNode md = body.putObject("metadata");
                m.forEach(md::put);
            }
            return body;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List evaluations (newest first).")
    static final class ListEvals extends ApiCommand {
        @Option(names = "--limit")
        Integer limit;
        @Option(names = "--after", paramLabel = "EVAL_ID")
        String after;

        @Override
        public Integer call() {
            ApiClient.Json r = api().get(BASE, page(after, limit));
            return show(r, () -> Render.table(out(), List.of("ID", "STATUS", "SUITE", "ITEMS", "SUCCEEDED", "CREATED"),
                    data(r.tree()).stream().map(e -> List.of(Render.text(e, "id"), Render.text(e, "status"),
                            e.path("suite").path("name").asText("-") + "@" + e.path("suite").path("version").asText("?"),
                            Integer.toString(e.path("items").size()),
                            Integer.toString(e.path("counts").path("succeeded").asInt()),
                            Render.text(e, "created_at"))).toList()));
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show an evaluation and its items.")
    static final class Get extends ApiCommand {
        @Parameters(paramLabel = "EVAL_ID")
        String id;
        @Option(names = "--wait", description = "poll until the evaluation ends (exit 0 succeeded, 5 failed, 6 cancelled)")
        boolean await;

        @Override
        public Integer call() throws InterruptedException {
            ApiClient api = api();
            if (await) {
                return await(this, api, id, null);
            }
            ApiClient.Json r = api.get(path(BASE, id), Map.of());
            return show(r, () -> {
                summary(out(), r.tree());
                Render.table(out(), List.of("ITEM", "ADAPTER", "SUBJECT", "STATUS", "TASKS", "ERROR"),
                        data(r.tree().path("items")).stream().map(i -> List.of(Render.text(i, "id"),
                                Render.text(i, "adapter_id"), Render.text(i, "subject"), Render.text(i, "status"),
                                i.path("progress").path("tasks_done").asText("0") + "/"
                                        + i.path("progress").path("tasks_total").asText("?"),
                                i.path("error").isObject() ? i.path("error").path("message").asText() : "-")).toList());
            });
        }

        /** Polls until the evaluation ends; prints a summary line whenever the status or the counts change from {@code shown}. */
        static int await(ApiCommand cmd, ApiClient api, String id, String shown) throws InterruptedException {
            String last = shown;
            while (true) {
                ApiClient.Json r = api.get(path(BASE, id), Map.of());
                String status = r.tree().path("status").asText();
                String line = progressKey(r.tree());
                if (!cmd.json() && !line.equals(last)) {
                    summary(cmd.out(), r.tree());
                    cmd.out().flush();
                    last = line;
                }
                if (JobStatus.isTerminal(status)) {
                    if (cmd.json()) {
                        cmd.out().println(r.raw());
                        cmd.out().flush();
                    }
                    return JobsCommand.exitFor(status);
                }
                Thread.sleep(2000);
            }
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel every unfinished item of an evaluation.")
    static final class Cancel extends ApiCommand {
        @Parameters(paramLabel = "EVAL_ID")
        String id;

        @Override
        public Integer call() {
            ApiClient.Json r = api().post(path(BASE, id, "cancel"), null, null);
            return show(r, () -> summary(out(), r.tree()));
        }
    }

    @Command(name = "results", mixinStandardHelpOptions = true, description = "Per adapter and task results.")
    static final class Results extends ApiCommand {
        @Parameters(paramLabel = "EVAL_ID")
        String id;

        @Override
        public Integer call() {
            ApiClient.Json r = api().get(path(BASE, id, "results"), Map.of());
            return show(r, () -> resultsTable(out(), data(r.tree())));
        }
    }

    @Command(name = "report", mixinStandardHelpOptions = true,
            description = "Comparison of adapters and baselines across the suite's tasks; --csv for the CSV the API builds.")
    static final class Report extends ApiCommand {
        @Parameters(paramLabel = "EVAL_ID")
        String id;
        @Option(names = "--csv", description = "print the report as CSV")
        boolean csv;

        @Override
        public Integer call() {
            ApiClient api = api();
            if (csv) {
                out().print(api.text(path(BASE, id, "report"), Map.of("format", "csv"), "text/csv"));
                out().flush();
                return Exit.OK;
            }
            ApiClient.Json r = api.get(path(BASE, id, "report"), Map.of());
            return show(r, () -> reportTable(out(), r.tree()));
        }

        /** One row per adapter or baseline; one column per task metric. */
        static void reportTable(PrintWriter out, JsonNode report) {
            List<String> headers = new ArrayList<>(List.of("ADAPTER", "SUBJECT", "METHOD", "STORED_BYTES"));
            List<String[]> columns = new ArrayList<>();
            for (JsonNode task : report.path("tasks")) {
                for (JsonNode metric : task.path("metrics")) {
                    columns.add(new String[]{task.path("name").asText(), metric.asText()});
                    headers.add(task.path("name").asText() + "." + metric.asText());
                }
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode row : report.path("rows")) {
                List<String> cells = new ArrayList<>(List.of(Render.text(row, "adapter_id"), Render.text(row, "subject"),
                        Render.text(row, "method"), Render.text(row, "stored_bytes")));
                for (String[] c : columns) {
                    JsonNode result = row.path("results").path(c[0]);
                    JsonNode v = result.path("metrics").get(c[1]);
                    cells.add(v != null && v.isNumber() ? String.format(Locale.ROOT, "%.4f", v.asDouble())
                            : result.hasNonNull("status") ? result.get("status").asText() : "-");
                }
                rows.add(cells);
            }
            out.println(report.path("evaluation_id").asText() + "  suite " + report.path("suite").path("name").asText()
                    + "@" + report.path("suite").path("version").asText());
            Render.table(out, headers, rows);
        }
    }
}

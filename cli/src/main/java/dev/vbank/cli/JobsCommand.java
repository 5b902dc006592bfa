package dev.vbank.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.common.job.MethodType;
import dev.vbank.common.spec.BaseModelShapes;
import dev.vbank.common.spec.Hyperparameter;
import dev.vbank.common.spec.Hyperparameters;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

@Command(name = "jobs", mixinStandardHelpOptions = true, description = "Fine-tuning jobs.",
        subcommands = {JobsCommand.Create.class, JobsCommand.ListJobs.class, JobsCommand.Get.class,
                JobsCommand.Cancel.class, JobsCommand.Watch.class, JobsCommand.Events.class, JobsCommand.Checkpoints.class})
final class JobsCommand {

    static final String BASE = "/v1/fine_tuning/jobs";

    /** Progress display of {@code watch}: auto = bar on a terminal, plain otherwise. */
    enum Progress { auto, bar, plain, none }

    static final class WatchOptions {
        @Option(names = "--progress", defaultValue = "auto", paramLabel = "MODE",
                description = "auto (bar on a terminal, else plain), bar, plain (a line per update) or none")
        Progress progress = Progress.auto;
        @Option(names = "--reconnect-timeout", defaultValue = "120", paramLabel = "SECONDS",
                description = "give up (exit 3) after this long without reaching the API (default ${DEFAULT-VALUE})")
        long reconnectTimeout = 120;
        @Option(names = "--idle-timeout", defaultValue = "90", paramLabel = "SECONDS", hidden = true,
                description = "reopen a stream that sent nothing for this long")
        long idleTimeout = 90;
    }

    /** Follows the job to its end; exit 0 succeeded, 5 failed, 6 cancelled. */
    static int watch(ApiCommand cmd, ApiClient api, String jobId, WatchOptions o) throws InterruptedException {
        VbankCli root = cmd.root();
        ProgressView.Mode mode = cmd.json() ? ProgressView.Mode.JSON : switch (o.progress) {
            case bar -> ProgressView.Mode.BAR;
            case plain -> ProgressView.Mode.PLAIN;
            case none -> ProgressView.Mode.NONE;
            case auto -> root.terminal ? ProgressView.Mode.BAR : ProgressView.Mode.PLAIN;
        };
        ProgressView view = new ProgressView(cmd.out(), mode, root.width(), System::nanoTime);
        JobWatch w = new JobWatch(api, view, Duration.ofSeconds(Math.max(5, o.idleTimeout)),
                Duration.ofSeconds(Math.max(0, o.reconnectTimeout)));
        // Ctrl-C while the bar is drawn: end its line so that the shell prompt starts on a fresh one
        Thread restoreLine = new Thread(view::finish, "vbank-watch-exit");
        Runtime.getRuntime().addShutdownHook(restoreLine);
        String status;
        try {
            status = w.follow(jobId);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(restoreLine);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs
            }
        }
        JsonNode job = api.get(ApiCommand.path(BASE, jobId), Map.of()).tree();
        if (!cmd.json()) {
            StringBuilder b = new StringBuilder("job ").append(jobId).append(' ').append(status);
            if (job.hasNonNull("adapter_id")) {
                b.append(": adapter ").append(job.get("adapter_id").asText());
            }
            b.append(", ").append(job.path("trained_steps").asLong()).append(" steps");
            if (job.hasNonNull("evaluation_id")) {
                b.append(", evaluation ").append(job.get("evaluation_id").asText())
                        .append(" (vbank evals get ").append(job.get("evaluation_id").asText()).append(" --wait)");
            }
            if (job.hasNonNull("error") && job.get("error").isObject()) {
                b.append(", error ").append(job.get("error").path("code").asText()).append(": ")
                        .append(job.get("error").path("message").asText());
            }
            cmd.out().println(b);
            cmd.out().flush();
        }
        return exitFor(status);
    }

    static int exitFor(String status) {
        return switch (status) {
            case "succeeded" -> Exit.OK;
            case "cancelled" -> Exit.CANCELLED;
            default -> Exit.FAILED;
        };
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a fine-tuning job.")
    static final class Create extends ApiCommand {
        @Option(names = "--model", required = true, description = "base model id (vbank models list)")
        String model;
        @Option(names = "--training-file", required = true, paramLabel = "FILE_ID")
        String trainingFile;
        @Option(names = "--validation-file", paramLabel = "FILE_ID")
        String validationFile;
        @Option(names = "--method", defaultValue = "vblora", completionCandidates = MethodNames.class,
                description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
        String method;
        @Option(names = "--epochs", description = "n_epochs")
        Integer epochs;
        @Option(names = "--batch-size")
        Integer batchSize;
        @Option(names = "--max-seq-length")
        Integer maxSeqLength;
        @Option(names = {"-H", "--hyperparameter"}, paramLabel = "NAME=VALUE",
                description = "any other hyperparameter (listed below); numbers, true/false and JSON arrays are sent typed"
                        + " (repeatable)")
        List<String> hyperparameters = new ArrayList<>();
        @Option(names = "--suffix")
        String suffix;
        @Option(names = "--seed")
        Long seed;
        @Option(names = "--metadata", paramLabel = "KEY=VALUE", description = "repeatable")
        List<String> metadata = new ArrayList<>();
        @Option(names = "--eval-suite", paramLabel = "SUITE",
                description = "evaluate the adapter with this suite when the job succeeds")
        String evalSuite;
        @Option(names = "--eval-baseline", paramLabel = "BASELINE", description = "e.g. head_only (repeatable)")
        List<String> evalBaselines = new ArrayList<>();
        @Option(names = "--idempotency-key", paramLabel = "KEY", description = "a retry with the same key returns the first job")
        String idempotencyKey;
        @Option(names = "--watch", description = "follow the job to its end (like jobs watch)")
        boolean watch;
        @picocli.CommandLine.Mixin
        WatchOptions watchOptions = new WatchOptions();

        @Override
        public Integer call() throws InterruptedException {
            ObjectNode body = body();
            ApiClient api = api();
            ApiClient.Json r = api.post(BASE, body, idempotencyKey);
            String id = r.tree().path("id").asText();
            if (watch && !json()) {
                out().println("created " + id + " (" + r.tree().path("status").asText() + ")");
            } else {
                show(r, () -> out().println(id));
            }
            return watch ? JobsCommand.watch(this, api, id, watchOptions) : Exit.OK;
        }

        ObjectNode body() {
            ObjectNode body = ApiClient.JSON.createObjectNode();
            body.put("model", model);
            body.put("training_file", trainingFile);
            if (validationFile != null) {
                body.put("validation_file", validationFile);
            }
            ObjectNode m = body.putObject("method");
            m.put("type", method);
            ObjectNode hp = m.putObject("hyperparameters");
            if (epochs != null) {
                hp.put("n_epochs", epochs);
            }
            if (batchSize != null) {
                hp.put("batch_size", batchSize);
            }
            if (maxSeqLength != null) {
                hp.put("max_seq_length", maxSeqLength);
            }
            pairs("--hyperparameter", hyperparameters).forEach((k, v) -> hp.set(k, typed(k, v)));
            if (suffix != null) {
                body.put("suffix", suffix);
            }
            if (seed != null) {
                body.put("seed", seed);
            }
            Map<String, String> md = pairs("--metadata", metadata);
            if (!md.isEmpty()) {
                ObjectNode mo = body.putObject("metadata");
                md.forEach(mo::put);
            }
            if (evalSuite != null) {
                ObjectNode ev = body.putObject("evaluation");
                ev.put("suite", evalSuite);
                evalBaselines.forEach(ev.putArray("baselines")::add);
            } else if (!evalBaselines.isEmpty()) {
                throw CliException.usage("--eval-baseline needs --eval-suite");
            }
            return body;
        }

        /** The job spec's hyperparameters and base models, as the footer of {@code jobs create --help}. */
        static void describeHyperparameters(CommandLine create) {
            create.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER, help -> {
                int width = help.commandSpec().usageMessage().width();
                CommandLine.Help.TextTable table = CommandLine.Help.TextTable.forColumns(help.colorScheme(),
                        new CommandLine.Help.Column(26, 2, CommandLine.Help.Column.Overflow.SPAN),
                        new CommandLine.Help.Column(width - 26, 1, CommandLine.Help.Column.Overflow.WRAP));
                for (Hyperparameter h : Hyperparameters.ALL) {
                    String methods = h.methods().size() == MethodType.values().length ? "every method" : h.methods()
                            .stream().map(MethodType::wireName).sorted().collect(Collectors.joining(", "));
                    table.addRowValues(h.name(), h.type().jsonType() + (h.range() == null ? "" : " " + h.range())
                            + ", default " + h.defaultText() + "; " + methods);
                    table.addRowValues("", h.description());
                }
                return String.format("%nHyperparameters (-H NAME=VALUE; a job reports every value it trains with):%n")
                        + table + String.format("Base models: %s%n", String.join(", ", BaseModelShapes.ids()));
            });
        }

        /** 8 → int, 0.5 → number, true → boolean, [..]/{..} → JSON, anything else a string. */
        static JsonNode typed(String name, String value) {
            String v = value.strip();
            if (v.equals("true") || v.equals("false")) {
                return ApiClient.JSON.getNodeFactory().booleanNode(Boolean.parseBoolean(v));
            }
            if (v.matches("-?\\d{1,18}")) {
                return ApiClient.JSON.getNodeFactory().numberNode(Long.parseLong(v));
            }
            if (v.matches("-?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) {
                return ApiClient.JSON.getNodeFactory().numberNode(Double.parseDouble(v));
            }
            if (v.startsWith("[") || v.startsWith("{")) {
                try {
                    return ApiClient.JSON.readTree(v);
                } catch (IOException e) {
                    throw CliException.usage("--hyperparameter " + name + ": not valid JSON: " + v);
                }
            }
            return ApiClient.JSON.getNodeFactory().textNode(value);
        }
    }

    /** The method types' wire names, for {@code --method}'s help. */
    static final class MethodNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(MethodType.values()).map(MethodType::wireName).iterator();
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List jobs (newest first).")
    static final class ListJobs extends ApiCommand {
        @Option(names = "--limit")
        Integer limit;
        @Option(names = "--after", paramLabel = "JOB_ID")
        String after;
        @Option(names = "--metadata", paramLabel = "KEY=VALUE", description = "only jobs whose metadata has it (repeatable)")
        List<String> metadata = new ArrayList<>();

        @Override
        public Integer call() {
            Map<String, String> q = new LinkedHashMap<>(page(after, limit));
            pairs("--metadata", metadata).forEach((k, v) -> q.put("metadata[" + k + "]", v));
            ApiClient.Json r = api().get(BASE, q);
            return show(r, () -> Render.table(out(), List.of("ID", "STATUS", "MODEL", "METHOD", "STEPS", "CREATED", "ADAPTER"),
                    data(r.tree()).stream().map(j -> List.of(Render.text(j, "id"), Render.text(j, "status"),
                            Render.text(j, "model"), Render.scalar("type", j.path("method").get("type")),
                            Render.text(j, "trained_steps"), Render.text(j, "created_at"), Render.text(j, "adapter_id")))
                            .toList()));
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show a job.")
    static final class Get extends ApiCommand {
        @Parameters(paramLabel = "JOB_ID")
        String id;

        @Override
        public Integer call() {
            return showObject(api().get(path(BASE, id), Map.of()));
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a job.")
    static final class Cancel extends ApiCommand {
        @Parameters(paramLabel = "JOB_ID")
        String id;

        @Override
        public Integer call() {
            ApiClient.Json r = api().post(path(BASE, id, "cancel"), null, null);
            return show(r, () -> out().println(id + " " + r.tree().path("status").asText()));
        }
    }

    @Command(name = "watch", mixinStandardHelpOptions = true,
            description = {"Follow a job's live events to its end with a progress bar (step, loss, ETA).",
                    "Exit 0 when it succeeded, 5 failed, 6 cancelled. --json prints each event as one JSON line."})
    static final class Watch extends ApiCommand {
        @Parameters(paramLabel = "JOB_ID")
        String id;
        @picocli.CommandLine.Mixin
        WatchOptions options = new WatchOptions();

        @Override
        public Integer call() throws InterruptedException {
            return watch(this, api(), id, options);
        }
    }

    @Command(name = "events", mixinStandardHelpOptions = true, description = "A page of a job's events (oldest first).")
    static final class Events extends ApiCommand {
        @Parameters(paramLabel = "JOB_ID")
        String id;
        @Option(names = "--after", paramLabel = "EVENT_ID")
        String after;
        @Option(names = "--limit")
        Integer limit;

        @Override
        public Integer call() {
            ApiClient.Json r = api().get(path(BASE, id, "events"), page(after, limit));
            return show(r, () -> Render.table(out(), List.of("ID", "CREATED", "LEVEL", "TYPE", "MESSAGE"),
                    data(r.tree()).stream().map(e -> List.of(Render.text(e, "id"), Render.text(e, "created_at"),
                            Render.text(e, "level"), Render.text(e, "type"), Render.text(e, "message"))).toList()));
        }
    }

    @Command(name = "checkpoints", mixinStandardHelpOptions = true, description = "A job's checkpoints.")
    static final class Checkpoints extends ApiCommand {
        @Parameters(paramLabel = "JOB_ID")
        String id;

        @Override
        public Integer call() {
            ApiClient.Json r = api().get(path(BASE, id, "checkpoints"), Map.of());
            return show(r, () -> Render.table(out(), List.of("STEP", "BYTES", "SHA256", "CREATED"),
                    data(r.tree()).stream().map(c -> List.of(Render.text(c, "step"), Render.text(c, "bytes"),
                            Render.text(c, "sha256"), Render.text(c, "created_at"))).toList()));
        }
    }
}

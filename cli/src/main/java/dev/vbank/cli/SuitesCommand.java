package dev.vbank.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "suites", mixinStandardHelpOptions = true, description = "Evaluation suites (built-in and your own).",
        subcommands = {SuitesCommand.ListSuites.class, SuitesCommand.Get.class, SuitesCommand.Create.class})
final class SuitesCommand {

    static final String BASE = "/v1/evaluation_suites";

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Latest version of each suite; --name lists every version of one name.")
    static final class ListSuites extends ApiCommand {
        @Option(names = "--name")
        String name;
        @Option(names = "--limit")
        Integer limit;
        @Option(names = "--after", paramLabel = "SUITE_ID")
        String after;

        @Override
        public Integer call() {
            Map<String, String> q = new LinkedHashMap<>(page(after, limit));
            if (name != null) {
                q.put("name", name);
            }
            ApiClient.Json r = api().get(BASE, q);
            return show(r, () -> Render.table(out(), List.of("ID", "NAME", "VERSION", "BUILT_IN", "TASKS"),
                    data(r.tree()).stream().map(s -> {
                        List<String> tasks = new ArrayList<>();
                        s.path("tasks").forEach(t -> tasks.add(t.path("name").asText()));
                        return List.of(Render.text(s, "id"), Render.text(s, "name"), Render.text(s, "version"),
                                Render.text(s, "built_in"), String.join(",", tasks));
                    }).toList()));
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show a suite and its tasks.")
    static final class Get extends ApiCommand {
        @Parameters(paramLabel = "SUITE_ID")
        String id;

        @Override
        public Integer call() {
            return showObject(api().get(path(BASE, id), Map.of()));
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create a suite (same name again: a new version) from a JSON file and/or options.",
                    "TASK: name=NAME,dataset=FILE_ID|public:NAME,metrics=m1+m2[,type=classification|regression]"
                            + "[,part=all|test][,test_fraction=F][,seed=N][,limit=N]",
                    "Metrics: accuracy, f1_macro, mcc (classification); pearson, spearman, mse (regression).",
                    "Example: --task name=yelp,dataset=public:uci-yelp,metrics=accuracy+f1_macro,part=test,test_fraction=0.2"})
    static final class Create extends ApiCommand {
        @Option(names = {"-f", "--file"}, paramLabel = "JSON", description = "the request body as a file ('-' = stdin)")
        String file;
        @Option(names = "--name")
        String name;
        @Option(names = "--description")
        String description;
        @Option(names = "--task", paramLabel = "TASK", description = "repeatable; see above")
        List<String> tasks = new ArrayList<>();

        @Override
        public Integer call() {
            ObjectNode body = body();
            ApiClient.Json r = api().post(BASE, body, null);
            return show(r, () -> out().println(r.tree().path("id").asText() + "  " + r.tree().path("name").asText()
                    + " version " + r.tree().path("version").asText()));
        }

        ObjectNode body() {
            ObjectNode body = file == null ? ApiClient.JSON.createObjectNode() : read(file);
            if (name != null) {
                body.put("name", name);
            }
            if (description != null) {
                body.put("description", description);
            }
            if (!tasks.isEmpty()) {
                ArrayNode array = body.putArray("tasks");
                tasks.forEach(t -> array.add(task(t)));
            }
            if (!body.hasNonNull("name")) {
                throw CliException.usage("a suite needs a name: --name or \"name\" in --file");
            }
            if (!body.path("tasks").isArray() || body.path("tasks").isEmpty()) {
                throw CliException.usage("a suite needs at least one task: --task or \"tasks\" in --file");
            }
            return body;
        }

        private ObjectNode read(String source) {
            try {
                JsonNode n;
                if (source.equals("-")) {
                    InputStream in = root().stdin;
                    n = ApiClient.JSON.readTree(in);
                } else {
                    n = ApiClient.JSON.readTree(Files.readString(Path.of(source)));
                }
                if (n == null || !n.isObject()) {
                    throw CliException.usage("--file " + source + ": expected a JSON object");
                }
                return (ObjectNode) n;
            } catch (IOException e) {
                throw CliException.usage("--file " + source + ": " + e.getMessage());
            }
        }

        static ObjectNode task(String spec) {
            ObjectNode t = ApiClient.JSON.createObjectNode();
            ObjectNode split = ApiClient.JSON.createObjectNode();
            t.put("task_type", "classification");
            for (Map.Entry<String, String> e : pairs("--task", List.of(spec.split(","))).entrySet()) {
                String v = e.getValue();
                switch (e.getKey()) {
                    case "name" -> t.put("name", v);
                    case "dataset" -> t.put("dataset", v);
                    case "type", "task_type" -> t.put("task_type", v);
                    case "metrics" -> {
                        ArrayNode m = t.putArray("metrics");
                        for (String metric : v.split("\\+")) {
                            m.add(metric);
                        }
                    }
                    case "part" -> split.put("part", v);
                    case "test_fraction", "seed", "limit" -> split.set(e.getKey(), JobsCommand.Create.typed(e.getKey(), v));
                    default -> throw CliException.usage("--task: unknown key '" + e.getKey() + "' (name, dataset, type, "
                            + "metrics, part, test_fraction, seed, limit)");
                }
            }
            if (!t.hasNonNull("name") || !t.hasNonNull("dataset") || !t.has("metrics")) {
                throw CliException.usage("--task needs name=, dataset= and metrics=: '" + spec + "'");
            }
            if (!split.isEmpty()) {
                t.set("split", split);
            }
            return t;
        }
    }
}

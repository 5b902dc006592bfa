package dev.vbank.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code vbank predict} and {@code vbank embed}: the inference endpoints of the public API. */
final class InferenceCommands {

    private InferenceCommands() {
    }

    @Command(name = "predict", mixinStandardHelpOptions = true,
            description = "The adapter's label and class probabilities (or regression value) for each text.")
    static final class Predict extends ApiCommand {
        @Option(names = "--adapter", required = true, description = "adapter id (adapter-...)")
        String adapter;

        @Option(names = "--pair", description = "the second text of every input (sentence-pair tasks)")
        String pair;

        @Parameters(arity = "1..*", paramLabel = "TEXT", description = "texts to classify")
        List<String> texts;

        @Override
        public Integer call() {
            ObjectNode body = ApiClient.JSON.createObjectNode().put("adapter", adapter);
            ArrayNode inputs = body.putArray("inputs");
            for (String t : texts) {
                if (pair == null) {
                    inputs.add(t);
                } else {
                    inputs.addObject().put("text_a", t).put("text_b", pair);
                }
            }
            ApiClient.Json r = api().post("/v1/predictions", body, null);
            return show(r, () -> {
                List<List<String>> rows = new ArrayList<>();
                boolean regression = false;
                for (JsonNode d : data(r.tree())) {
                    String text = texts.get(d.path("index").asInt());
                    if (d.has("value")) {
                        regression = true;
                        rows.add(List.of(Render.text(d, "index"), number(d.path("value").asDouble()), clip(text)));
                    } else {
                        String label = d.path("label").asText();
                        rows.add(List.of(Render.text(d, "index"), label,
                                number(d.path("probabilities").path(label).asDouble()), clip(text)));
                    }
                }
                Render.table(out(), regression ? List.of("INDEX", "VALUE", "TEXT")
                        : List.of("INDEX", "LABEL", "P(LABEL)", "TEXT"), rows);
                usage(out(), r.tree());
            });
        }
    }

    @Command(name = "embed", mixinStandardHelpOptions = true,
            description = "Embeddings (pooled encoder outputs) of texts, from a base model or with an adapter applied.")
    static final class Embed extends ApiCommand {
        @Option(names = "--adapter", description = "adapter id: its base model with the adapter applied")
        String adapter;

        @Option(names = "--model", description = "base model id (see vbank models list)")
        String model;

        @Parameters(arity = "1..*", paramLabel = "TEXT", description = "texts to embed")
        List<String> texts;

        @Override
        public Integer call() {
            if (adapter == null && model == null) {
                throw CliException.usage("name --model or --adapter");
            }
            ObjectNode body = ApiClient.JSON.createObjectNode();
            if (model != null) {
                body.put("model", model);
            }
            if (adapter != null) {
                body.put("adapter", adapter);
            }
            ArrayNode input = body.putArray("input");
            texts.forEach(input::add);
            ApiClient.Json r = api().post("/v1/embeddings", body, null);
            return show(r, () -> {
                List<List<String>> rows = new ArrayList<>();
                for (JsonNode d : data(r.tree())) {
                    JsonNode e = d.path("embedding");
                    double sq = 0;
                    List<String> head = new ArrayList<>();
                    for (int i = 0; i < e.size(); i++) {
                        sq += e.get(i).asDouble() * e.get(i).asDouble();
                        if (i < 3) {
                            head.add(number(e.get(i).asDouble()));
                        }
                    }
                    rows.add(List.of(Render.text(d, "index"), Integer.toString(e.size()), number(Math.sqrt(sq)),
                            "[" + String.join(", ", head) + ", …]", clip(texts.get(d.path("index").asInt()))));
                }
                Render.table(out(), List.of("INDEX", "DIMS", "NORM", "EMBEDDING", "TEXT"), rows);
                usage(out(), r.tree());
            });
        }
    }

    private static String number(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    private static String clip(String text) {
        return text.length() <= 60 ? text : text.substring(0, 59) + "…";
    }

    /** One line under the table: the model and what the inputs cost. */
    private static void usage(java.io.PrintWriter out, JsonNode r) {
        JsonNode u = r.path("usage");
        long tokens = u.has("tokens") ? u.path("tokens").asLong() : u.path("total_tokens").asLong();
        out.printf("model %s%s: %d inputs, %d tokens, %d truncated%n", r.path("model").asText(),
                r.hasNonNull("adapter") ? " + " + r.path("adapter").asText() : "", u.path("inputs").asInt(), tokens,
                u.path("truncated").asInt());
    }
}

package dev.vbank.scheduler.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.vbank.common.job.MethodType;
import dev.vbank.common.json.Json;
import dev.vbank.scheduler.eval.EvaluationRequestParser;
import dev.vbank.scheduler.jobs.NewJob;
import dev.vbank.service.error.Invalid;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns a create-job body into a {@link NewJob}, or throws an {@link Invalid} (400) whose {@code param} is the JSON path
 * of the first offending field. Hyperparameters are checked against what the training engine accepts for the method and
 * the base model's layer widths, so that a job that would fail at its first step is rejected up front.
 */
public final class JobRequestParser {

    /** Base models the platform trains: encoder layer count, hidden width and intermediate (MLP) width. */
    public record BaseModel(String id, int layers, int hidden, int intermediate) {
    }

    public static final Map<String, BaseModel> MODELS = Map.of(
            "all-minilm-l6-v2", new BaseModel("all-minilm-l6-v2", 6, 384, 1536),
            "bge-small-en-v1.5", new BaseModel("bge-small-en-v1.5", 12, 384, 1536),
            "e5-small-v2", new BaseModel("e5-small-v2", 12, 384, 1536));

    static final Pattern SUFFIX = Pattern.compile("[a-zA-Z0-9_-]{1,40}");
    static final Pattern FILE_ID = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");
    static final Set<String> MODULE_NAMES = Set.of("query", "key", "value", "attention.output.dense",
            "intermediate.dense", "output.dense");

    private static final Set<String> TOP_FIELDS = Set.of("model", "training_file", "validation_file", "method", "suffix",
            "seed", "metadata", "evaluation");
    private static final Set<String> METHOD_FIELDS = Set.of("type", "hyperparameters");
    private static final ObjectReader READER = Json.mapper().reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private enum Kind { INT, NUMBER, BOOL, MODULES, LAYERS }

    private record Spec(Kind kind, double min, double max, boolean minExclusive, boolean maxExclusive) {
        static Spec integer(long min, long max) {
            return new Spec(Kind.INT, min, max, false, false);
        }

        static Spec number(double min, double max, boolean minExclusive, boolean maxExclusive) {
            return new Spec(Kind.NUMBER, min, max, minExclusive, maxExclusive);
        }

        static Spec of(Kind kind) {
            return new Spec(kind, 0, 0, false, false);
        }
    }

    private static final Map<String, Spec> COMMON = Map.of(
            "n_epochs", Spec.integer(1, 100),
            "batch_size", Spec.integer(1, 512),
            "max_seq_length", Spec.integer(8, 512),
            "warmup_ratio", Spec.number(0, 1, false, true),
            "lr_head", Spec.number(0, 1, true, false),
            "weight_decay_head", Spec.number(0, 1, false, false),
            "checkpoint_every", Spec.integer(1, 1_000_000),
            "eval_every", Spec.integer(1, 1_000_000));

    private static final Map<MethodType, Map<String, Spec>> HYPERPARAMETERS = Map.of(
            MethodType.VBLORA, with(COMMON, Map.ofEntries(
                    Map.entry("num_vectors", Spec.integer(1, 65536)),
                    Map.entry("vector_length", Spec.integer(1, 1536)),
                    Map.entry("r", Spec.integer(1, 256)),
                    Map.entry("topk", Spec.integer(1, 256)),
                    Map.entry("target_modules", Spec.of(Kind.MODULES)),
                    Map.entry("layers_to_transform", Spec.of(Kind.LAYERS)),
                    Map.entry("dropout", Spec.number(0, 1, false, true)),
                    Map.entry("init_vector_bank_bound", Spec.number(0, 1, true, false)),
                    Map.entry("init_logits_std", Spec.number(0, 10, false, false)),
                    Map.entry("lr_vector_bank", Spec.number(0, 1, true, false)),
                    Map.entry("lr_logits", Spec.number(0, 1, true, false)),
                    Map.entry("save_only_topk_weights", Spec.of(Kind.BOOL)))),
            MethodType.LORA, with(COMMON, Map.of(
                    "r", Spec.integer(1, 256),
                    "lora_alpha", Spec.number(0, 4096, true, false),
                    "lora_dropout", Spec.number(0, 1, false, true),
                    "target_modules", Spec.of(Kind.MODULES),
                    "layers_to_transform", Spec.of(Kind.LAYERS),
                    "lr_lora", Spec.number(0, 1, true, false))),
            MethodType.HEAD_ONLY, COMMON);

    /**
     * The worker's defaults for unset values (vblora-text {@code TrainingSpec.defaultVblora}: 90 vectors of length 128, since the
     * paper's 256 does not divide the 384-wide encoders), used by the checks that relate two values (topk <= num_vectors, b | width).
     */
    private static final int DEFAULT_NUM_VECTORS = 90;
    private static final int DEFAULT_TOPK = 2;
    private static final int DEFAULT_VECTOR_LENGTH = 128;

    /** The hyperparameters a head-only training accepts (those every method shares). */
    public static Set<String> headOnlyHyperparameters() {
        return COMMON.keySet();
    }

    private JobRequestParser() {
    }

    public static NewJob parse(String body) {
        JsonNode root;
        try {
            root = READER.readTree(body == null ? "" : body);
        } catch (JsonProcessingException e) {
            throw new Invalid("invalid_json", "the body is not valid JSON: " + e.getOriginalMessage(), null);
        }
        if (root == null || !root.isObject()) {
            throw Invalid.of(null, "the body must be a JSON object");
        }
        rejectUnknown(root, TOP_FIELDS, "");

        String model = requiredString(root, "model");
        BaseModel base = MODELS.get(model);
        if (base == null) {
            throw Invalid.of("model", "unknown model '" + model + "'; available: "
                    + String.join(", ", MODELS.keySet().stream().sorted().toList()));
        }
        String trainingFile = fileId(root, "training_file", true);
        String validationFile = fileId(root, "validation_file", false);

        JsonNode method = root.get("method");
        if (method == null || method.isNull()) {
            throw Invalid.of("method", "method is required");
        }
        if (!method.isObject()) {
            throw Invalid.of("method", "method must be an object with type and hyperparameters");
        }
        rejectUnknown(method, METHOD_FIELDS, "method.");
        String typeName = requiredString(method, "type", "method.type");
        MethodType type;
        try {
            type = MethodType.fromWireName(typeName);
        } catch (IllegalArgumentException e) {
            throw Invalid.of("method.type", e.getMessage());
        }
        Map<String, Object> hyperparameters = hyperparameters(method.get("hyperparameters"), type, base);

        String suffix = null;
        JsonNode s = root.get("suffix");
        if (s != null && !s.isNull()) {
            if (!s.isTextual() || !SUFFIX.matcher(s.asText()).matches()) {
                throw Invalid.of("suffix", "suffix must be 1 to 40 characters of a-z, A-Z, 0-9, _ and -");
            }
            suffix = s.asText();
        }
        Long seed = null;
        JsonNode sd = root.get("seed");
        if (sd != null && !sd.isNull()) {
            if (!sd.isIntegralNumber() || !sd.canConvertToLong() || sd.asLong() < 0 || sd.asLong() > Integer.MAX_VALUE) {
                throw Invalid.of("seed", "seed must be an integer from 0 to " + Integer.MAX_VALUE);
            }
            seed = sd.asLong();
        }
        JsonNode evaluation = root.get("evaluation");
        return new NewJob(model, trainingFile, validationFile, type, hyperparameters, suffix, seed, metadata(root),
                evaluation == null || evaluation.isNull() ? null : EvaluationRequestParser.parseAutoEvaluation(evaluation));
    }

    private static Map<String, Object> hyperparameters(JsonNode node, MethodType type, BaseModel base) {
        String prefix = "method.hyperparameters";
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw Invalid.of(prefix, "hyperparameters must be an object");
        }
        Map<String, Spec> specs = HYPERPARAMETERS.get(type);
        Map<String, Object> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            String param = prefix + "." + name;
            Spec spec = specs.get(name);
            if (spec == null) {
                throw Invalid.of(param, "unknown hyperparameter '" + name + "' for method "
                        + type.wireName() + "; allowed: " + String.join(", ", specs.keySet().stream().sorted().toList()));
            }
            out.put(name, value(field.getValue(), spec, param, base));
        }
        if (type == MethodType.VBLORA) {
            int h = ((Number) out.getOrDefault("num_vectors", DEFAULT_NUM_VECTORS)).intValue();
            int k = ((Number) out.getOrDefault("topk", DEFAULT_TOPK)).intValue();
            if (k > h) {
                throw Invalid.of(prefix + ".topk", "topk (" + k + ") must not exceed num_vectors (" + h + ")");
            }
            int b = ((Number) out.getOrDefault("vector_length", DEFAULT_VECTOR_LENGTH)).intValue();
            if (base.hidden() % b != 0 || base.intermediate() % b != 0) {
                throw Invalid.of(prefix + ".vector_length", "vector_length " + b + " must divide the layer widths "
                        + base.hidden() + " and " + base.intermediate() + " of " + base.id());
            }
        }
        return out;
    }

    private static Object value(JsonNode v, Spec spec, String param, BaseModel base) {
        switch (spec.kind()) {
            case INT -> {
                if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                    throw Invalid.of(param, param + " must be an integer");
                }
                long x = v.asLong();
                if (x < spec.min() || x > spec.max()) {
                    throw Invalid.of(param, param + " must be from " + (long) spec.min() + " to "
                            + (long) spec.max() + ", was " + x);
                }
                return x;
            }
            case NUMBER -> {
                if (!v.isNumber()) {
                    throw Invalid.of(param, param + " must be a number");
                }
                double x = v.asDouble();
                boolean low = spec.minExclusive() ? x <= spec.min() : x < spec.min();
                boolean high = spec.maxExclusive() ? x >= spec.max() : x > spec.max();
                if (!Double.isFinite(x) || low || high) {
                    throw Invalid.of(param, param + " must be in " + (spec.minExclusive() ? "(" : "[")
                            + spec.min() + ", " + spec.max() + (spec.maxExclusive() ? ")" : "]") + ", was " + v.asText());
                }
                return x;
            }
            case BOOL -> {
                if (!v.isBoolean()) {
                    throw Invalid.of(param, param + " must be true or false");
                }
                return v.asBoolean();
            }
            case MODULES -> {
                if (!v.isTextual()) {
                    throw Invalid.of(param, param + " must be a string: qv, all-linear or comma-separated names");
                }
                String spec2 = v.asText().strip();
                if (!spec2.equals("qv") && !spec2.equals("all-linear")) {
                    for (String name : spec2.split(",", -1)) {
                        if (!MODULE_NAMES.contains(name.strip())) {
                            throw Invalid.of(param, "unknown module '" + name.strip() + "'; use qv, all-linear or"
                                    + " names from " + String.join(", ", MODULE_NAMES.stream().sorted().toList()));
                        }
                    }
                }
                return spec2;
            }
            case LAYERS -> {
                if (!v.isArray() || v.isEmpty()) {
                    throw Invalid.of(param, param + " must be a non-empty array of layer indices");
                }
                List<Integer> layers = new ArrayList<>();
                Set<Integer> seen = new HashSet<>();
                for (JsonNode l : v) {
                    if (!l.isIntegralNumber() || l.asLong() < 0 || l.asLong() >= base.layers() || !seen.add(l.asInt())) {
                        throw Invalid.of(param, param + " must hold distinct layer indices from 0 to "
                                + (base.layers() - 1) + " (" + base.id() + " has " + base.layers() + " layers)");
                    }
                    layers.add(l.asInt());
                }
                return layers;
            }
            default -> throw new IllegalStateException();
        }
    }

    private static Map<String, String> metadata(JsonNode root) {
        JsonNode m = root.get("metadata");
        if (m == null || m.isNull()) {
            return Map.of();
        }
        if (!m.isObject()) {
            throw Invalid.of("metadata", "metadata must be an object of string values");
        }
        if (m.size() > 16) {
            throw Invalid.of("metadata", "metadata may hold at most 16 pairs, had " + m.size());
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            if (key.isEmpty() || key.length() > 64) {
                throw Invalid.of("metadata", "metadata keys must be 1 to 64 characters");
            }
            if (!e.getValue().isTextual() || e.getValue().asText().length() > 512) {
                throw Invalid.of("metadata." + key, "metadata values must be strings of at most 512 characters");
            }
            out.put(key, e.getValue().asText());
        }
        return out;
    }

    private static String fileId(JsonNode root, String field, boolean required) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw Invalid.of(field, field + " is required");
            }
            return null;
        }
        if (!v.isTextual() || !FILE_ID.matcher(v.asText()).matches()) {
            throw Invalid.of(field, field + " must be a file id (1 to 128 characters of a-z, A-Z, 0-9, _, . and -)");
        }
        return v.asText();
    }

    private static String requiredString(JsonNode node, String field) {
        return requiredString(node, field, field);
    }

    private static String requiredString(JsonNode node, String field, String param) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw Invalid.of(param, param + " is required");
        }
        if (!v.isTextual()) {
            throw Invalid.of(param, param + " must be a string");
        }
        return v.asText();
    }

    private static void rejectUnknown(JsonNode node, Set<String> allowed, String prefix) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                throw Invalid.of(prefix + name, "unknown field '" + prefix + name + "'");
            }
        }
    }

    private static <K, V> Map<K, V> with(Map<K, V> a, Map<K, V> b) {
        Map<K, V> m = new LinkedHashMap<>(a);
        m.putAll(b);
        return Map.copyOf(m);
    }
}

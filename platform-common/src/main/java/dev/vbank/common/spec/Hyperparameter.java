package dev.vbank.common.spec;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.common.job.MethodType;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One hyperparameter of a fine-tuning job: its name in {@code method.hyperparameters}, its type and range, the value a
 * job that leaves it unset trains with ({@code null}: none, see the description), and the methods that accept it.
 */
public record Hyperparameter(String name, Type type, Range range, Object defaultValue, Set<MethodType> methods,
                             String description) {

    /** The values of a {@link Type#PRECISION}. */
    public static final List<String> PRECISIONS = List.of("fp32", "bf16");

    public enum Type {
        INTEGER("integer"), NUMBER("number"), BOOLEAN("boolean"),
        /** {@code qv}, {@code all-linear} or comma-separated module names of the base model. */
        TARGET_MODULES("string"),
        /** Distinct encoder layer indices of the base model. */
        LAYERS("array"),
        /** The id of a stored adapter ({@code adapter-…}). */
        ADAPTER_ID("string"),
        /** The id of a published vector bank ({@code vbank-…}). */
        VECTOR_BANK_ID("string"),
        /** How a job trains against a published bank: {@code frozen} (the only mode implemented). */
        BANK_MODE("string"),
        /** What the frozen base's linear layers compute in while training: {@code fp32} or {@code bf16}. */
        PRECISION("string");

        private final String jsonType;

        Type(String jsonType) {
            this.jsonType = jsonType;
        }

        /** The JSON Schema type of a value. */
        public String jsonType() {
            return jsonType;
        }
    }

    /** Bounds of a number; for integers both ends are inclusive. */
    public record Range(double min, boolean minExclusive, double max, boolean maxExclusive) {
        public boolean contains(double x) {
            return Double.isFinite(x) && (minExclusive ? x > min : x >= min) && (maxExclusive ? x < max : x <= max);
        }

        @Override
        public String toString() {
            return (minExclusive ? "(" : "[") + plain(min) + ", " + plain(max) + (maxExclusive ? ")" : "]");
        }
    }

    public Hyperparameter {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        methods = Set.copyOf(methods);
        if ((type == Type.INTEGER || type == Type.NUMBER) != (range != null)) {
            throw new IllegalArgumentException(name + ": integers and numbers have a range, other types none");
        }
    }

    /** The value of {@code v} as the platform stores it (Long, Double, Boolean, String, List of Integer). */
    public Object read(JsonNode v, String param, BaseModelShape model) {
        return switch (type) {
            case INTEGER -> {
                if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                    throw new InvalidSpecException(param, param + " must be an integer");
                }
                long x = v.asLong();
                if (!range.contains(x)) {
                    throw new InvalidSpecException(param, param + " must be from " + plain(range.min()) + " to "
                            + plain(range.max()) + ", was " + x);
                }
                yield x;
            }
            case NUMBER -> {
                if (!v.isNumber()) {
                    throw new InvalidSpecException(param, param + " must be a number");
                }
                if (!range.contains(v.asDouble())) {
                    throw new InvalidSpecException(param, param + " must be in " + range + ", was " + v.asText());
                }
                yield v.asDouble();
            }
            case BOOLEAN -> {
                if (!v.isBoolean()) {
                    throw new InvalidSpecException(param, param + " must be true or false");
                }
                yield v.asBoolean();
            }
            case TARGET_MODULES -> {
                if (!v.isTextual()) {
                    throw new InvalidSpecException(param, param + " must be a string: qv, all-linear or comma-separated"
                            + " names");
                }
                String modules = v.asText().strip();
                targetModules(modules, param, model);
                yield modules;
            }
            case ADAPTER_ID -> {
                if (!v.isTextual() || !v.asText().matches("adapter-[A-Za-z0-9_.-]{1,120}")) {
                    throw new InvalidSpecException(param, param + " must be an adapter id (adapter-...)");
                }
                yield v.asText();
            }
            case VECTOR_BANK_ID -> {
                if (!v.isTextual() || !v.asText().matches("vbank-[A-Za-z0-9_.-]{1,120}")) {
                    throw new InvalidSpecException(param, param + " must be a vector bank id (vbank-...)");
                }
                yield v.asText();
            }
            case BANK_MODE -> {
                if (!v.isTextual() || !(v.asText().equals("frozen") || v.asText().equals("alternate"))) {
                    throw new InvalidSpecException(param, param + " must be \"frozen\"");
                }
                if (v.asText().equals("alternate")) {
                    throw new InvalidSpecException(param, "bank_mode \"alternate\" (alternating bank and logits "
                            + "training) is not implemented; use \"frozen\"");
                }
                yield v.asText();
            }
            case PRECISION -> {
                if (!v.isTextual() || !PRECISIONS.contains(v.asText())) {
                    throw new InvalidSpecException(param, param + " must be one of " + PRECISIONS);
                }
                yield v.asText();
            }
            case LAYERS -> {
                String rule = param + " must hold distinct layer indices from 0 to " + (model.layers() - 1) + " ("
                        + model.id() + " has " + model.layers() + " layers)";
                if (!v.isArray() || v.isEmpty()) {
                    throw new InvalidSpecException(param, param + " must be a non-empty array of layer indices");
                }
                List<Integer> layers = new ArrayList<>();
                Set<Integer> seen = new HashSet<>();
                for (JsonNode l : v) {
                    if (!l.isIntegralNumber() || l.asLong() < 0 || l.asLong() >= model.layers() || !seen.add(l.asInt())) {
                        throw new InvalidSpecException(param, rule);
                    }
                    layers.add(l.asInt());
                }
                yield List.copyOf(layers);
            }
        };
    }

    /** The default as text (numbers without an exponent), "-" when there is none. */
    public String defaultText() {
        return defaultValue == null ? "-" : defaultValue instanceof Double d ? plain(d) : defaultValue.toString();
    }

    /** The modules of {@code model} a {@code target_modules} value adapts. */
    static List<BaseModelShape.LinearModule> targetModules(String spec, String param, BaseModelShape model) {
        if (spec.equals("all-linear")) {
            return model.modules();
        }
        List<String> names = spec.equals("qv") ? List.of("query", "value")
                : List.of(spec.split(",", -1)).stream().map(String::strip).toList();
        List<BaseModelShape.LinearModule> out = new ArrayList<>();
        for (String name : names) {
            out.add(model.modules().stream().filter(m -> m.name().equals(name)).findFirst()
                    .orElseThrow(() -> new InvalidSpecException(param, "unknown module '" + name + "'; use qv,"
                            + " all-linear or names from " + String.join(", ", model.moduleNames().stream().sorted()
                            .toList()))));
        }
        return out;
    }

    static String plain(double x) {
        return BigDecimal.valueOf(x).stripTrailingZeros().toPlainString();
    }
}

package dev.vbank.vblora.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which linear layers of a BERT-family encoder get an adapter. Written as a string:
 * <ul>
 *   <li>{@code qv}: query and value projections;</li>
 *   <li>{@code all-linear}: q, k, v, attention.output.dense, intermediate.dense, output.dense;</li>
 *   <li>a comma-separated list of short names, e.g. {@code query,value,intermediate.dense};</li>
 *   <li>{@code regex:<pattern>}, matched in full against HF module paths such as
 *       {@code encoder.layer.3.attention.self.query}.</li>
 * </ul>
 * Short names match the path <em>inside a layer</em> exactly (after {@code layer.<i>.}), so {@code output.dense} is the
 * FFN output projection and never {@code attention.output.dense}. PEFT's suffix matching would take both, which is why
 * the PEFT exporter writes the adapted paths rather than these names.
 */
public final class TargetModules {

    public enum Kind { QV, ALL_LINEAR, NAMES, REGEX }

    /** Short name → path of that linear layer inside {@code encoder.layer.<i>}. */
    public static final Map<String, String> SHORT_NAMES;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("query", "attention.self.query");
        m.put("key", "attention.self.key");
        m.put("value", "attention.self.value");
        m.put("attention.output.dense", "attention.output.dense");
        m.put("intermediate.dense", "intermediate.dense");
        m.put("output.dense", "output.dense");
        SHORT_NAMES = java.util.Collections.unmodifiableMap(m);
    }

    private static final Pattern LAYER = Pattern.compile("(?:^|\\.)layer\\.(\\d+)\\.(.+)$");

    public static final TargetModules QV = new TargetModules(Kind.QV, List.of("query", "value"), null);
    public static final TargetModules ALL_LINEAR =
            new TargetModules(Kind.ALL_LINEAR, List.copyOf(SHORT_NAMES.keySet()), null);

    private final Kind kind;
    private final List<String> names;
    private final Pattern regex;

    private TargetModules(Kind kind, List<String> names, Pattern regex) {
        this.kind = kind;
        this.names = names;
        this.regex = regex;
    }

    @JsonCreator
    public static TargetModules parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new ConfigException("target_modules", "must not be empty (use qv, all-linear, names or regex:<pattern>)");
        }
        String s = spec.strip();
        if (s.equals("qv")) {
            return QV;
        }
        if (s.equals("all-linear")) {
            return ALL_LINEAR;
        }
        if (s.startsWith("regex:")) {
            String p = s.substring("regex:".length());
            if (p.isEmpty()) {
                throw new ConfigException("target_modules", "regex: needs a pattern");
            }
            try {
                return new TargetModules(Kind.REGEX, List.of(), Pattern.compile(p));
            } catch (PatternSyntaxException e) {
                throw new ConfigException("target_modules", "invalid regex '" + p + "': " + e.getDescription(), e);
            }
        }
        return of(List.of(s.split(",", -1)));
    }

    /** An explicit list of short names (or their full in-layer paths such as {@code attention.self.query}). */
    public static TargetModules of(List<String> names) {
        if (names == null || names.isEmpty()) {
            throw new ConfigException("target_modules", "must name at least one module");
        }
        Set<String> out = new LinkedHashSet<>();
        for (String raw : names) {
            String n = raw == null ? "" : raw.strip();
            String shortName = canonicalShortName(n);
            if (shortName == null) {
                throw new ConfigException("target_modules", "unknown module name '" + n + "'; known: "
                        + String.join(", ", SHORT_NAMES.keySet()) + " (or qv, all-linear, regex:<pattern>)");
            }
            out.add(shortName);
        }
        List<String> ordered = new ArrayList<>();
        for (String k : SHORT_NAMES.keySet()) {
            if (out.contains(k)) {
                ordered.add(k);
            }
        }
        if (ordered.equals(QV.names)) {
            return QV;
        }
        if (ordered.equals(ALL_LINEAR.names)) {
            return ALL_LINEAR;
        }
        return new TargetModules(Kind.NAMES, List.copyOf(ordered), null);
    }

    private static String canonicalShortName(String n) {
        if (SHORT_NAMES.containsKey(n)) {
            return n;
        }
        for (Map.Entry<String, String> e : SHORT_NAMES.entrySet()) {
            if (e.getValue().equals(n)) {
                return e.getKey();
            }
        }
        return null;
    }

    public Kind kind() {
        return kind;
    }

    /** The short names selected; empty for a regex. */
    public List<String> names() {
        return names;
    }

    /** The regex for {@link Kind#REGEX}, else null. */
    public Pattern regex() {
        return regex;
    }

    /** Whether the linear layer at this HF module path is a target. */
    public boolean matches(String modulePath) {
        Objects.requireNonNull(modulePath, "modulePath");
        if (kind == Kind.REGEX) {
            return regex.matcher(modulePath).matches();
        }
        Matcher m = LAYER.matcher(modulePath);
        if (!m.find()) {
            return false;
        }
        String inLayer = m.group(2);
        for (String n : names) {
            if (SHORT_NAMES.get(n).equals(inLayer)) {
                return true;
            }
        }
        return false;
    }

    /** The encoder layer index in a path such as {@code roberta.encoder.layer.7.output.dense}. */
    public static OptionalInt layerIndex(String modulePath) {
        Matcher m = LAYER.matcher(modulePath);
        if (!m.find()) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(m.group(1)));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    @JsonValue
    public String spec() {
        return switch (kind) {
            case QV -> "qv";
            case ALL_LINEAR -> "all-linear";
            case REGEX -> "regex:" + regex.pattern();
            case NAMES -> String.join(",", names);
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TargetModules t && t.spec().equals(spec());
    }

    @Override
    public int hashCode() {
        return spec().hashCode();
    }

    @Override
    public String toString() {
        return spec();
    }
}

package dev.vbank.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Human output: aligned tables for lists, indented key: value lines for objects. */
final class Render {

    private Render() {
    }

    static void table(PrintWriter out, List<String> headers, List<List<String>> rows) {
        int[] widths = new int[headers.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = headers.get(i).length();
            for (List<String> r : rows) {
                widths[i] = Math.max(widths[i], r.get(i).length());
            }
        }
        List<List<String>> all = new ArrayList<>();
        all.add(headers);
        all.addAll(rows);
        for (List<String> r : all) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < widths.length; i++) {
                String cell = r.get(i);
                b.append(cell);
                if (i < widths.length - 1) {
                    b.append(" ".repeat(widths[i] - cell.length() + 2));
                }
            }
            out.println(b.toString().stripTrailing());
        }
        if (rows.isEmpty()) {
            out.println("(none)");
        }
    }

    static void object(PrintWriter out, JsonNode node) {
        object(out, node, "");
    }

    private static void object(PrintWriter out, JsonNode node, String indent) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (v.isObject() && v.size() > 0) {
                out.println(indent + e.getKey() + ":");
                object(out, v, indent + "  ");
            } else if (v.isArray() && v.size() > 0 && v.get(0).isObject()) {
                out.println(indent + e.getKey() + ":");
                for (JsonNode item : v) {
                    out.println(indent + "  -");
                    object(out, item, indent + "    ");
                }
            } else {
                out.println(indent + e.getKey() + ": " + scalar(e.getKey(), v));
            }
        }
    }

    static String scalar(String key, JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return "-";
        }
        if (v.isIntegralNumber() && (key.endsWith("_at") || key.equals("created") || key.equals("estimated_finish"))
                && v.asLong() > 1_000_000_000L) {
            return Instant.ofEpochSecond(v.asLong()).toString();
        }
        if (v.isFloatingPointNumber()) {
            return String.format(Locale.ROOT, "%.4g", v.asDouble());
        }
        if (v.isValueNode()) {
            return v.asText();
        }
        return v.toString();
    }

    static String text(JsonNode node, String field) {
        return scalar(field, node.get(field));
    }
}

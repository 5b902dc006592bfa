package dev.vbank.inference.api;

import dev.vbank.service.error.Invalid;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vbank.text.serve.InferenceEngine.Input;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/** Reads request bodies field by field, so every refusal names the field it is about. */
final class Inputs {

    private Inputs() {
    }

    static JsonNode object(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw Invalid.of(null, "the body must be a JSON object");
        }
        return body;
    }

    static void onlyFields(JsonNode body, Set<String> allowed) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw Invalid.of(f, "unknown field '" + f + "'; allowed: " + allowed);
            }
        }
    }

    /** An optional string field; null when absent or null. */
    static String optionalText(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual() || n.asText().isBlank()) {
            throw Invalid.of(field, field + " must be a non-empty string");
        }
        return n.asText();
    }

    static String requiredText(JsonNode body, String field) {
        String v = optionalText(body, field);
        if (v == null) {
            throw Invalid.of(field, field + " is required");
        }
        return v;
    }

    /**
     * A string or (when {@code pairs}) a {@code {"text_a", "text_b"}} object, or a non-empty array of them, each within
     * {@code maxChars}, at most {@code maxInputs}.
     */
    static List<Input> texts(JsonNode body, String field, boolean pairs, int maxInputs, int maxChars) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            throw Invalid.of(field, field + " is required");
        }
        List<JsonNode> items = new ArrayList<>();
        if (n.isArray()) {
            n.forEach(items::add);
            if (items.isEmpty()) {
                throw Invalid.of(field, field + " must hold at least one input");
            }
            if (items.size() > maxInputs) {
                throw Invalid.of(field, field + " holds " + items.size() + " inputs; at most " + maxInputs
                        + " per request");
            }
        } else {
            items.add(n);
        }
        List<Input> out = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            String param = n.isArray() ? field + "[" + i + "]" : field;
            Input in = input(items.get(i), param, pairs);
            if (in.chars() > maxChars) {
                throw Invalid.of(param, param + " has " + in.chars() + " characters; at most " + maxChars);
            }
            out.add(in);
        }
        return out;
    }

    private static Input input(JsonNode item, String param, boolean pairs) {
        if (item.isTextual()) {
            return Input.of(nonEmpty(item.asText(), param));
        }
        if (pairs && item.isObject()) {
            onlyFields(item, Set.of("text_a", "text_b"), param);
            JsonNode a = item.get("text_a");
            JsonNode b = item.get("text_b");
            if (a == null || !a.isTextual()) {
                throw Invalid.of(param + ".text_a", param + ".text_a must be a string");
            }
            if (b != null && !b.isNull() && !b.isTextual()) {
                throw Invalid.of(param + ".text_b", param + ".text_b must be a string");
            }
            return new Input(nonEmpty(a.asText(), param + ".text_a"),
                    b == null || b.isNull() ? null : nonEmpty(b.asText(), param + ".text_b"));
        }
        throw Invalid.of(param, param + " must be a string" + (pairs ? " or {\"text_a\", \"text_b\"}" : ""));
    }

    private static void onlyFields(JsonNode item, Set<String> allowed, String param) {
        for (Iterator<String> it = item.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw Invalid.of(param + "." + f, "unknown field '" + f + "' in " + param);
            }
        }
    }

    private static String nonEmpty(String s, String param) {
        if (s.isEmpty()) {
            throw Invalid.of(param, param + " must not be empty");
        }
        return s;
    }

    /** An id as every vbank API accepts them (null stays null). */
    static String id(String id, String param) {
        if (id != null && (!id.matches("[A-Za-z0-9_.-]{1,128}") || id.contains(".."))) {
            throw Invalid.of(param, param + " must be an id of 1 to 128 characters of a-z, A-Z, 0-9, _, . and -");
        }
        return id;
    }
}

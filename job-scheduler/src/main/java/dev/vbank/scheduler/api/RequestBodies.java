package dev.vbank.scheduler.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.vbank.common.json.Json;
import dev.vbank.service.error.Invalid;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The checks every create body shares; each throws a 400 {@link Invalid} naming the offending field. */
public final class RequestBodies {

    private static final ObjectReader READER = Json.mapper().reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private RequestBodies() {
    }

    /** The body as a JSON object (duplicate fields rejected). */
    public static JsonNode object(String body) {
        JsonNode root;
        try {
            root = READER.readTree(body == null ? "" : body);
        } catch (JsonProcessingException e) {
            throw new Invalid("invalid_json", "the body is not valid JSON: " + e.getOriginalMessage(), null);
        }
        if (root == null || !root.isObject()) {
            throw Invalid.of(null, "the body must be a JSON object");
        }
        return root;
    }

    public static void rejectUnknown(JsonNode node, Set<String> allowed, String prefix) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                String shown = name.length() > 64 ? name.substring(0, 64) : name;
                throw Invalid.of(prefix + shown, "unknown field '" + prefix + shown + "'");
            }
        }
    }

    /** Up to 16 string pairs, keys of 1 to 64 characters, values of at most 512; absent or null: none. */
    public static Map<String, String> metadata(JsonNode m, String param) {
        if (m == null || m.isNull()) {
            return Map.of();
        }
        if (!m.isObject()) {
            throw Invalid.of(param, param + " must be an object of string values");
        }
        if (m.size() > 16) {
            throw Invalid.of(param, param + " may hold at most 16 pairs, had " + m.size());
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().isEmpty() || e.getKey().length() > 64) {
                throw Invalid.of(param, "metadata keys must be 1 to 64 characters");
            }
            if (!e.getValue().isTextual() || e.getValue().asText().length() > 512) {
                throw Invalid.of(param + "." + e.getKey(), "metadata values must be strings of at most 512"
                        + " characters");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }
}

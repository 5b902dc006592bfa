package dev.vbank.gateway.api;

import dev.vbank.service.error.Invalid;
import jakarta.ws.rs.core.MultivaluedMap;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Checks of ids and query parameters before anything goes downstream. */
public final class Params {

    private static final Pattern ID = Pattern.compile("[a-zA-Z0-9_-][a-zA-Z0-9_.-]{0,127}");
    private static final Pattern METADATA = Pattern.compile("metadata\\[(.{1,64})]");
    public static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");

    /** An optional Idempotency-Key header: absent, or 1 to 255 printable ASCII characters. */
    public static void idempotencyKey(String key) {
        if (key != null && !IDEMPOTENCY_KEY.matcher(key).matches()) {
            throw Invalid.of("Idempotency-Key", "Idempotency-Key must be 1 to 255 printable ASCII characters");
        }
    }

    private Params() {
    }

    /** An object id: 1 to 128 characters of a-z, A-Z, 0-9, _, . and -, never path-like. */
    public static String id(String param, String value) {
        if (value == null || !ID.matcher(value).matches() || value.contains("..")) {
            throw Invalid.of(param, param + " must be an id of 1 to 128 characters of a-z, A-Z, 0-9, _, . and -");
        }
        return value;
    }

    /** {@code after} and {@code limit} (1 to 100), and {@code metadata[k]=v} filters where allowed; nothing else. */
    public static Map<String, String> page(MultivaluedMap<String, String> query, boolean metadata) {
        return page(query, metadata, Set.of());
    }

    public static Map<String, String> page(MultivaluedMap<String, String> query, boolean metadata, Set<String> others) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : query.keySet()) {
            String value = single(query, name);
            Matcher m = METADATA.matcher(name);
            if (metadata && m.matches()) {
                if (value.length() > 512 || value.chars().anyMatch(Character::isISOControl)) {
                    throw Invalid.of(name, "metadata filter values are at most 512 characters");
                }
                out.put(name, value);
            } else if (name.equals("after")) {
                out.put(name, id("after", value));
            } else if (name.equals("limit")) {
                out.put(name, String.valueOf(limit(value)));
            } else if (others.contains(name)) {
                out.put(name, value);
            } else {
                throw Invalid.of(name.length() > 64 ? name.substring(0, 64) : name,
                        "unknown query parameter '" + (name.length() > 64 ? name.substring(0, 64) + "…" : name) + "'");
            }
        }
        return out;
    }

    public static String single(MultivaluedMap<String, String> query, String name) {
        List<String> values = query.get(name);
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw Invalid.of(name, "query parameter '" + name + "' given more than once");
        }
        return values.get(0);
    }

    private static int limit(String raw) {
        try {
            int limit = Integer.parseInt(raw);
            if (limit >= 1 && limit <= 100) {
                return limit;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw Invalid.of("limit", "limit must be an integer from 1 to 100");
    }
}

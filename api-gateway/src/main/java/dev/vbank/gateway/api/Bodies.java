package dev.vbank.gateway.api;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.vbank.common.json.Json;

import java.io.IOException;
import java.util.stream.Collectors;

/** Strict JSON request bodies: any problem is a 400 whose {@code param} is the JSON path of the offending field. */
public final class Bodies {

    public static final int MAX_JSON_BYTES = 256 * 1024;

    private Bodies() {
    }

    public static <T> T read(byte[] body, Class<T> type) {
        check(body);
        try {
            T value = Json.mapper().readerFor(type).with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).readValue(body);
            if (value == null) {
                throw ApiException.invalid(null, "the body must be a JSON object");
            }
            return value;
        } catch (IOException e) {
            throw fromJackson(e);
        }
    }

    public static JsonNode tree(byte[] body) {
        check(body);
        try {
            JsonNode node = Json.mapper().reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).readTree(body);
            if (node == null || !node.isObject()) {
                throw ApiException.invalid(null, "the body must be a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw fromJackson(e);
        }
    }

    private static void check(byte[] body) {
        if (body == null || body.length == 0) {
            throw new ApiException(400, "invalid_json", "the body must be a JSON object; it was empty", null);
        }
        if (body.length > MAX_JSON_BYTES) {
            throw new ApiException(413, "request_too_large", "JSON bodies may be at most " + MAX_JSON_BYTES + " bytes",
                    null);
        }
    }

    public static ApiException fromJackson(IOException e) {
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            String param = path(m);
            String message = e instanceof UnrecognizedPropertyException
                    ? "unknown field '" + param + "'"
                    : param + ": " + firstLine(m.getOriginalMessage());
            return ApiException.invalid(param, message);
        }
        if (e instanceof JsonParseException || e instanceof JsonProcessingException) {
            String message = e instanceof JsonProcessingException p ? p.getOriginalMessage() : e.getMessage();
            return new ApiException(400, "invalid_json", "the body is not valid JSON: " + firstLine(message), null);
        }
        return new ApiException(400, "invalid_json", "the body could not be read: " + firstLine(e.getMessage()), null);
    }

    static String path(JsonMappingException m) {
        return m.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 300 ? line.substring(0, 300) + "…" : line;
    }
}

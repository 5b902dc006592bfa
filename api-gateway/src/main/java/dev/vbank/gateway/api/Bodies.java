package dev.vbank.gateway.api;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.vbank.common.json.Json;
import dev.vbank.service.error.Invalid;
import dev.vbank.service.rest.ApiException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;

/** Strict JSON request bodies: any problem is a 400 whose {@code param} is the JSON path of the offending field. */
public final class Bodies {

    public static final int MAX_JSON_BYTES = 256 * 1024;
    private static final ObjectMapper STRICT = strict();

    private Bodies() {
    }

    public static <T> T read(byte[] body, Class<T> type) {
        String text = utf8(body);
        try {
            T value = STRICT.readerFor(type).with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).readValue(text);
            if (value == null) {
                throw Invalid.of(null, "the body must be a JSON object");
            }
            return value;
        } catch (IOException e) {
            throw fromJackson(e);
        }
    }

    public static JsonNode tree(byte[] body) {
        String text = utf8(body);
        try {
            JsonNode node = STRICT.reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).readTree(text);
            if (node == null || !node.isObject()) {
                throw Invalid.of(null, "the body must be a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw fromJackson(e);
        }
    }

    /** The platform mapping, and no scalar coercions: "5" is no number, 5 is no string, 0 is no boolean. */
    private static ObjectMapper strict() {
        ObjectMapper m = Json.configure(new ObjectMapper()).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        m.coercionConfigFor(LogicalType.Textual).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        m.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        m.coercionConfigFor(LogicalType.Float).setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        m.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        return m;
    }

    /** The body as text: UTF-8 only (Jackson would otherwise guess UTF-16 or UTF-32 from the first bytes). */
    private static String utf8(byte[] body) {
        check(body);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new Invalid("invalid_encoding", "the body must be UTF-8 encoded JSON", null);
        }
    }

    private static void check(byte[] body) {
        if (body == null || body.length == 0) {
            throw new Invalid("invalid_json", "the body must be a JSON object; it was empty", null);
        }
        if (body.length > MAX_JSON_BYTES) {
            throw new ApiException(413, "request_too_large", "JSON bodies may be at most " + MAX_JSON_BYTES + " bytes",
                    null);
        }
    }

    public static Invalid fromJackson(IOException e) {
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            String param = path(m);
            String message = e instanceof UnrecognizedPropertyException
                    ? "unknown field '" + param + "'"
                    : param + ": " + firstLine(m.getOriginalMessage());
            return Invalid.of(param, message);
        }
        if (e instanceof JsonParseException || e instanceof JsonProcessingException) {
            String message = e instanceof JsonProcessingException p ? p.getOriginalMessage() : e.getMessage();
            return new Invalid("invalid_json", "the body is not valid JSON: " + firstLine(message), null);
        }
        return new Invalid("invalid_json", "the body could not be read: " + firstLine(e.getMessage()), null);
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

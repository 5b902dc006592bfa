package dev.vbank.vblora.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * snake_case JSON for {@link VbloraConfig} and {@link LoraConfig}. Unknown fields, wrong types and invalid values
 * all surface as a {@link ConfigException} naming the field.
 */
public final class ConfigJson {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private ConfigJson() {
    }

    public static ObjectMapper mapper() {
        return MAPPER.copy();
    }

    public static VbloraConfig readVblora(String json) {
        return read(json, VbloraConfig.class);
    }

    public static LoraConfig readLora(String json) {
        return read(json, LoraConfig.class);
    }

    public static VbloraConfig vbloraFromTree(JsonNode node) {
        try {
            return MAPPER.treeToValue(node, VbloraConfig.class);
        } catch (JsonProcessingException e) {
            throw translate(e);
        }
    }

    public static LoraConfig loraFromTree(JsonNode node) {
        try {
            return MAPPER.treeToValue(node, LoraConfig.class);
        } catch (JsonProcessingException e) {
            throw translate(e);
        }
    }

    public static JsonNode toTree(Object config) {
        return MAPPER.valueToTree(config);
    }

    public static String write(Object config) {
        try {
            return MAPPER.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + config, e);
        }
    }

    private static <T> T read(String json, Class<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw translate(e);
        }
    }

    private static ConfigException translate(JsonProcessingException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConfigException ce) {
                return ce;
            }
        }
        if (e instanceof UnrecognizedPropertyException u) {
            return new ConfigException(u.getPropertyName(), "unknown field (known: " + u.getKnownPropertyIds() + ")", e);
        }
        String field = "config";
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            JsonMappingException.Reference last = m.getPath().get(m.getPath().size() - 1);
            if (last.getFieldName() != null) {
                field = last.getFieldName();
            } else if (m.getPath().size() >= 2 && m.getPath().get(m.getPath().size() - 2).getFieldName() != null) {
                field = m.getPath().get(m.getPath().size() - 2).getFieldName();
            }
        }
        return new ConfigException(field, "invalid JSON: " + e.getOriginalMessage(), e);
    }
}

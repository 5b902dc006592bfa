package dev.vbank.inference.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vbank.common.json.Json;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/** The REST layer writes JSON the platform way (snake_case, unknown fields rejected). */
@Singleton
public class JsonCustomizer implements ObjectMapperCustomizer {
    @Override
    public void customize(ObjectMapper mapper) {
        Json.configure(mapper);
    }
}

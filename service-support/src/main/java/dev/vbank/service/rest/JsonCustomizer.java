package dev.vbank.service.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vbank.common.json.Json;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/** The REST layer (server and clients) writes JSON the platform way: snake_case, ISO dates, unknown fields rejected. */
@Singleton
public class JsonCustomizer implements ObjectMapperCustomizer {
    @Override
    public void customize(ObjectMapper mapper) {
        Json.configure(mapper);
    }
}

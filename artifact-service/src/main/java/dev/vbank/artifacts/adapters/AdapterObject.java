package dev.vbank.artifacts.adapters;

import com.fasterxml.jackson.databind.JsonNode;

/** The contract's adapter object (snake_case on the wire). */
public record AdapterObject(String id, String object, String jobId, String baseModel, String trainingFile, String method,
                            String format, long bytes, String sha256, long createdAt, JsonNode config,
                            Parameters parameters) {

    public record Parameters(long trainable, long peftSavable, long compactBytes) {
    }
}

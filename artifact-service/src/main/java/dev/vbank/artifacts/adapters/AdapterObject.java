package dev.vbank.artifacts.adapters;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The contract's adapter object (snake_case on the wire). {@code source}: {@code trained} (by job {@code jobId}) or
 * {@code imported} (from a PEFT directory; no job, no training file). {@code vectorBank}: the published bank
 * ({@code vbank-…}) a VB-LoRA adapter was trained against and references instead of holding, else null.
 */
public record AdapterObject(String id, String object, String jobId, String baseModel, String trainingFile, String method,
                            String format, long bytes, String sha256, long createdAt, JsonNode config,
                            Parameters parameters, String source, String vectorBank) {

    public record Parameters(long trainable, long peftSavable, long compactBytes) {
    }
}

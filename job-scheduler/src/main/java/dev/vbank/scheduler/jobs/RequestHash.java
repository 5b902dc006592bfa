package dev.vbank.scheduler.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vbank.common.json.Json;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/** sha256 of a create request in a canonical form (keys sorted at every level, no whitespace), for Idempotency-Keys. */
public final class RequestHash {

    private RequestHash() {
    }

    public static String of(Map<String, Object> canonical) {
        try {
            byte[] bytes = Json.mapper().writer().with(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                    .writeValueAsBytes(canonical);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException | JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

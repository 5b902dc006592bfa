package dev.vbank.common.event;

import java.util.Map;

/** One entry of a job's event log, as clients see it. {@code id} is assigned by the producer and makes consumption idempotent. */
public record JobEvent(
        String id,
        String object,
        long createdAt,
        EventLevel level,
        EventType type,
        String message,
        Map<String, Object> data) {

    public static final String OBJECT = "fine_tuning.job.event";

    public JobEvent {
        data = data == null ? Map.of() : Map.copyOf(data);
    }
}

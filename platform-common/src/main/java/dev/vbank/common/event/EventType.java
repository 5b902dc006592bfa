package dev.vbank.common.event;

import com.fasterxml.jackson.annotation.JsonValue;

public enum EventType {
    MESSAGE, METRICS, STATE;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

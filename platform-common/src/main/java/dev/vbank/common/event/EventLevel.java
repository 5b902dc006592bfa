package dev.vbank.common.event;

import com.fasterxml.jackson.annotation.JsonValue;

public enum EventLevel {
    INFO, WARN, ERROR;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

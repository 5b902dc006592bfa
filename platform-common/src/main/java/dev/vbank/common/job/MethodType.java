package dev.vbank.common.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;

/** Fine-tuning method of a job. */
public enum MethodType {
    VBLORA("vblora"),
    LORA("lora"),
    HEAD_ONLY("head_only");

    private final String wireName;

    MethodType(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static MethodType fromWireName(String name) {
        return Arrays.stream(values())
                .filter(m -> m.wireName.equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        "unknown method type '" + name + "' (expected vblora, lora or head_only)"));
    }
}

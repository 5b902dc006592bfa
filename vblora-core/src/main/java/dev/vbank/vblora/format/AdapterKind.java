package dev.vbank.vblora.format;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

public enum AdapterKind {
    VBLORA("vblora"),
    LORA("lora"),
    HEAD_ONLY("head_only");

    private final String id;

    AdapterKind(String id) {
        this.id = id;
    }

    @JsonValue
    public String id() {
        return id;
    }

    @JsonCreator
    public static AdapterKind fromId(String id) {
        for (AdapterKind k : values()) {
            if (k.id.equals(id)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown adapter kind '" + id + "' (vblora, lora, head_only)");
    }
}

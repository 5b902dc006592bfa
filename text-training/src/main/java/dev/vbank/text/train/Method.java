package dev.vbank.text.train;

import java.util.Locale;

/** What a fine-tuning run trains besides the head. */
public enum Method {
    VBLORA, LORA, HEAD_ONLY;

    /** {@code vblora}, {@code lora}, {@code head_only} (case-insensitive, '-' accepted for '_'). */
    public static Method parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("method: expected vblora, lora or head_only, got '" + s + "'");
        }
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}

package dev.vbank.vblora.format;

/** A malformed, truncated, corrupted or unsupported adapter file. */
public class FormatException extends RuntimeException {
    public FormatException(String message) {
        super(message);
    }

    public FormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

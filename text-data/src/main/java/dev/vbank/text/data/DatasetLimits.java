package dev.vbank.text.data;

/**
 * Bounds on what a reader accepts.
 *
 * @param maxRows      data rows (header and blank lines not counted)
 * @param maxBytes     file size
 * @param maxTextChars characters in one text field
 * @param maxErrors    errors listed before the rest are only counted
 */
public record DatasetLimits(long maxRows, long maxBytes, int maxTextChars, int maxErrors) {
    public static final DatasetLimits DEFAULT = new DatasetLimits(1_000_000, 512L << 20, 100_000, 20);

    public DatasetLimits {
        if (maxRows < 1 || maxBytes < 1 || maxTextChars < 1 || maxErrors < 1) {
            throw new IllegalArgumentException("dataset limits must be positive");
        }
    }
}

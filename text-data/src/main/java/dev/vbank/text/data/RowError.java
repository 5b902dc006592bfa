package dev.vbank.text.data;

/** One rejected row: file, 1-based line where the row starts, and what is wrong. */
public record RowError(String source, long line, String message) {
    @Override
    public String toString() {
        return source + ":" + line + ": " + message;
    }
}

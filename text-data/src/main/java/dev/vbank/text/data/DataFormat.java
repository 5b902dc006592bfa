package dev.vbank.text.data;

import java.nio.file.Path;
import java.util.Locale;

public enum DataFormat {
    JSONL,
    CSV;

    /** By extension: .jsonl / .ndjson / .json (one object per line) or .csv. */
    public static DataFormat of(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".jsonl") || n.endsWith(".ndjson") || n.endsWith(".json")) {
            return JSONL;
        }
        if (n.endsWith(".csv")) {
            return CSV;
        }
        throw new IllegalArgumentException(file + ": unknown data format; use .jsonl or .csv");
    }
}

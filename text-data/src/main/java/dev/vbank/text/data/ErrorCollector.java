package dev.vbank.text.data;

import java.util.ArrayList;
import java.util.List;

/** Keeps the first N errors and counts the rest; {@link #throwIfAny()} turns them into one exception. */
final class ErrorCollector {
    private final String source;
    private final int max;
    private final List<RowError> errors = new ArrayList<>();
    private long total;

    ErrorCollector(String source, int max) {
        this.source = source;
        this.max = max;
    }

    void add(long line, String message) {
        total++;
        if (errors.size() < max) {
            errors.add(new RowError(source, line, message));
        }
    }

    long total() {
        return total;
    }

    boolean isEmpty() {
        return total == 0;
    }

    void throwIfAny() {
        if (total > 0) {
            throw new DatasetException(errors, total);
        }
    }
}

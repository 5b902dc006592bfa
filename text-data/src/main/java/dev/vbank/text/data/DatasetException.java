package dev.vbank.text.data;

import java.util.List;

/** A dataset was rejected as a whole; lists the first errors found (with line numbers) and how many there were. */
public class DatasetException extends RuntimeException {
    private final List<RowError> errors;
    private final long totalErrors;

    public DatasetException(List<RowError> errors, long totalErrors) {
        super(format(errors, totalErrors));
        this.errors = List.copyOf(errors);
        this.totalErrors = totalErrors;
    }

    public DatasetException(RowError error) {
        this(List.of(error), 1);
    }

    private static String format(List<RowError> errors, long total) {
        StringBuilder sb = new StringBuilder();
        sb.append(total).append(total == 1 ? " error" : " errors");
        if (total > errors.size()) {
            sb.append(" (first ").append(errors.size()).append(" shown)");
        }
        sb.append(':');
        for (RowError e : errors) {
            sb.append("\n  ").append(e);
        }
        return sb.toString();
    }

    public List<RowError> errors() {
        return errors;
    }

    public long totalErrors() {
        return totalErrors;
    }
}

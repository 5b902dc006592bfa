package dev.vbank.common.eval;

import java.util.Map;

/**
 * The score of one subject on one suite task. {@code status} is {@code succeeded}, or {@code skipped} when the task cannot
 * apply to the subject (a label set or task type the adapter's head does not have), with {@code detail} saying why.
 */
public record TaskResult(String task, String status, Map<String, Double> metrics, int examples,
                         double examplesPerSecond, String detail) {

    public static final String SUCCEEDED = "succeeded";
    public static final String SKIPPED = "skipped";

    public TaskResult {
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }
}

package dev.vbank.text.eval;

import java.util.Map;

/** The score of one task: {@code succeeded}, or {@code skipped} with {@code detail} saying why the head cannot score it. */
public record TaskScore(String task, String status, Map<String, Double> metrics, int examples, double examplesPerSecond,
                        String detail) {
    public static final String SUCCEEDED = "succeeded";
    public static final String SKIPPED = "skipped";

    public TaskScore {
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }
}

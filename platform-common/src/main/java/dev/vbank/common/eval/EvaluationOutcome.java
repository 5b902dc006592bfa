package dev.vbank.common.eval;

import java.util.List;

/**
 * What a worker reports for a finished evaluation item, under the key {@link #EVENT_DATA_KEY} of the data of its
 * {@code SUCCEEDED} worker event. {@code subjectSha256} is the sha256 of the scored adapter's stored bytes (for a baseline:
 * of the head-only adapter the worker trained); {@code storedBytes} its size, {@code trainableParameters} the number of
 * values trained, {@code storedParameters} the number of values the stored file keeps.
 */
public record EvaluationOutcome(String subjectSha256, long storedBytes, long trainableParameters, long storedParameters,
                                List<TaskResult> tasks) {

    public static final String EVENT_DATA_KEY = "evaluation";

    public EvaluationOutcome {
        tasks = tasks == null ? List.of() : List.copyOf(tasks);
    }
}

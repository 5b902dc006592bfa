package dev.vbank.text.eval;

import java.util.List;

/**
 * Every task's score and the scored adapter's facts: sha256 and size of its stored bytes, values trained, values the
 * stored file keeps.
 */
public record SuiteScore(String subjectSha256, long storedBytes, long trainableParameters, long storedParameters,
                         List<TaskScore> tasks) {
    public SuiteScore {
        tasks = tasks == null ? List.of() : List.copyOf(tasks);
    }
}

package dev.vbank.worker.eval;

import dev.vbank.common.eval.EvaluationOutcome;
import dev.vbank.common.eval.SuiteTask;
import dev.vbank.common.eval.TaskResult;
import dev.vbank.common.eval.TaskSplit;
import dev.vbank.text.eval.RowSplit;
import dev.vbank.text.eval.ScoringTask;
import dev.vbank.text.eval.SuiteScore;
import dev.vbank.text.eval.TaskScore;

/** Maps the evaluation wire records to the engine's scoring types and back; the engine knows nothing of the wire. */
final class ScoringContract {
    private ScoringContract() {
    }

    static ScoringTask task(SuiteTask t) {
        return new ScoringTask(t.name(), t.dataset(), t.taskType(), t.metrics(), split(t.split()));
    }

    static RowSplit split(TaskSplit s) {
        return new RowSplit(s.part(), s.testFraction(), s.seed(), s.limit());
    }

    static TaskResult result(TaskScore s) {
        return new TaskResult(s.task(), s.status(), s.metrics(), s.examples(), s.examplesPerSecond(), s.detail());
    }

    static EvaluationOutcome outcome(SuiteScore s) {
        return new EvaluationOutcome(s.subjectSha256(), s.storedBytes(), s.trainableParameters(), s.storedParameters(),
                s.tasks().stream().map(ScoringContract::result).toList());
    }
}

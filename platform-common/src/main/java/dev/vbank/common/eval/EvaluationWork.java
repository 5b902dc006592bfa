package dev.vbank.common.eval;

/**
 * The evaluation part of a {@link dev.vbank.common.command.DispatchJob} whose job is an evaluation item. The dispatch's
 * {@code model} is the adapter's base model. For {@link EvaluationSubject#BASELINE_HEAD_ONLY} the dispatch's
 * {@code trainingFile}, {@code method} (type head_only, the adapter job's hyperparameters) and {@code seed} say how to train
 * the baseline head; for {@link EvaluationSubject#ADAPTER} they are null/unused and the worker fetches the adapter by id and
 * checks its bytes against {@code adapterSha256}.
 */
public record EvaluationWork(String evaluationId, EvaluationSubject subject, String adapterId, String adapterSha256,
                             Suite suite) {
}

package dev.vbank.scheduler.eval;

import dev.vbank.service.error.NotFound;

/** The not-found answers that both the job and the evaluation paths give. */
public final class EvaluationErrors {
    private EvaluationErrors() {
    }

    public static NotFound suiteNotFound(String ref, String param) {
        return new NotFound("suite_not_found", "no evaluation suite " + ref, param);
    }

    public static NotFound evaluationNotFound(String id) {
        return new NotFound("evaluation_not_found", "no evaluation " + id, "id");
    }
}

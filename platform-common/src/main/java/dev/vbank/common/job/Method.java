package dev.vbank.common.job;

import java.util.Map;

/** How a job fine-tunes: the method type and its hyperparameters (validated by the scheduler against the engine config). */
public record Method(MethodType type, Map<String, Object> hyperparameters) {
    public Method {
        hyperparameters = hyperparameters == null ? Map.of() : Map.copyOf(hyperparameters);
    }
}

package dev.vbank.scheduler.jobs;

import dev.vbank.common.job.MethodType;
import dev.vbank.scheduler.eval.AutoEvaluation;

import java.util.Map;
import java.util.TreeMap;

/**
 * A validated create-job request. {@code hyperparameters} are resolved: every value the job trains with, defaults filled
 * in. {@code seed} is null when the client left it to the scheduler; {@code evaluation} is the evaluation to run when the
 * job succeeds, or null.
 */
public record NewJob(
        String model,
        String trainingFile,
        String validationFile,
        MethodType methodType,
        Map<String, Object> hyperparameters,
        String suffix,
        Long seed,
        Map<String, String> metadata,
        AutoEvaluation evaluation) {

    /**
     * sha256 of the request in a canonical form (sorted keys, no whitespace, hyperparameters resolved), for
     * Idempotency-Key comparisons: a value left to its default and the same value written out are the same request.
     */
    public String hash() {
        Map<String, Object> canonical = new TreeMap<>();
        canonical.put("model", model);
        canonical.put("training_file", trainingFile);
        canonical.put("validation_file", validationFile);
        canonical.put("method_type", methodType.wireName());
        canonical.put("hyperparameters", new TreeMap<>(hyperparameters));
        canonical.put("suffix", suffix);
        canonical.put("seed", seed);
        canonical.put("metadata", new TreeMap<>(metadata));
        if (evaluation != null) {
            canonical.put("evaluation", Map.of("suite", evaluation.suite(), "baselines", evaluation.baselines(),
                    "metadata", new TreeMap<>(evaluation.metadata())));
        }
        return RequestHash.of(canonical);
    }

}

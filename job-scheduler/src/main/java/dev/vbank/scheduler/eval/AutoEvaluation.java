package dev.vbank.scheduler.eval;

import java.util.List;
import java.util.Map;

/** The evaluation a fine-tuning job asks for at create ({@code "evaluation": {...}}), run when the job succeeds. */
public record AutoEvaluation(String suite, List<String> baselines, Map<String, String> metadata) {

    public AutoEvaluation {
        baselines = List.copyOf(baselines);
        metadata = Map.copyOf(metadata);
    }
}

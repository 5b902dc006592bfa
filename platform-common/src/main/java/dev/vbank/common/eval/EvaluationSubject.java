package dev.vbank.common.eval;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;

/** What an evaluation item scores: the adapter itself, or the head-only baseline trained like the adapter's job. */
public enum EvaluationSubject {
    /** the stored adapter, merged into its base model's weights, with its own head. */
    ADAPTER("adapter"),
    /**
     * the base model with only a classification/regression head trained on the adapter's training file, with the adapter
     * job's seed, epochs, batch size and sequence length (the dispatch carries that training spec with method head_only).
     */
    BASELINE_HEAD_ONLY("baseline_head_only");

    private final String wireName;

    EvaluationSubject(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static EvaluationSubject fromWireName(String name) {
        return Arrays.stream(values()).filter(s -> s.wireName.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        "unknown evaluation subject '" + name + "' (expected adapter or baseline_head_only)"));
    }
}

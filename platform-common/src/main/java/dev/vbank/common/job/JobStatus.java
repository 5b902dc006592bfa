package dev.vbank.common.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;

/** Lifecycle states of a fine-tuning job; the wire names are the lower-case ones clients see. */
public enum JobStatus {
    VALIDATING_FILES("validating_files"),
    QUEUED("queued"),
    RUNNING("running"),
    CANCELLING("cancelling"),
    SUCCEEDED("succeeded"),
    FAILED("failed"),
    CANCELLED("cancelled");

    private final String wireName;

    JobStatus(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    /**
     * Whether a status read off the wire is terminal; an unknown name is not. Evaluations end in the same three states
     * ({@code succeeded}, {@code failed}, {@code cancelled}), so this answers for them too.
     */
    public static boolean isTerminal(String wireName) {
        return Arrays.stream(values()).anyMatch(s -> s.isTerminal() && s.wireName.equals(wireName));
    }

    @JsonCreator
    public static JobStatus fromWireName(String name) {
        return Arrays.stream(values())
                .filter(s -> s.wireName.equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown job status '" + name + "'"));
    }

    @Override
    public String toString() {
        return wireName;
    }
}

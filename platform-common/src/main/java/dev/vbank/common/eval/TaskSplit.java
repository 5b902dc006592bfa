package dev.vbank.common.eval;

/**
 * Which examples of a task's dataset are scored. {@code part} is {@code all} (every example) or {@code test} (the held-out
 * {@code testFraction} after a shuffle seeded with {@code seed}, carved the way vblora-text's {@code DatasetSplits.carve}
 * carves a validation set); {@code limit}, when set, keeps the first {@code limit} examples of that part.
 */
public record TaskSplit(String part, Double testFraction, Long seed, Integer limit) {

    public static final String ALL = "all";
    public static final String TEST = "test";

    public static TaskSplit all() {
        return new TaskSplit(ALL, null, null, null);
    }
}

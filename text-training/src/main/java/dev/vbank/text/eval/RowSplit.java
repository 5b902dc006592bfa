package dev.vbank.text.eval;

/**
 * Which rows of a task's dataset are scored: {@code part} {@code all} (every row, file order) or {@code test} (the held-out
 * {@code testFraction} of {@code DatasetSplits.carve} with {@code seed}); {@code limit}, when set, keeps the first rows.
 */
public record RowSplit(String part, Double testFraction, Long seed, Integer limit) {
    public static final String ALL = "all";
    public static final String TEST = "test";

    public static RowSplit all() {
        return new RowSplit(ALL, null, null, null);
    }
}

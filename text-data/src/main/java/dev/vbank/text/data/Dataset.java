package dev.vbank.text.data;

import java.util.List;

/**
 * Rows ready for training: for classification {@code label} indexes {@link #labels()} and {@code target} is unused
 * (NaN); for regression {@code target} holds the value, {@code label} is -1 and {@link #labels()} is empty.
 */
public record Dataset(TaskType task, List<String> labels, boolean pairs, List<Dataset.Row> rows) {
    public record Row(String textA, String textB, int label, double target, long line) {}

    public Dataset {
        labels = List.copyOf(labels);
        rows = List.copyOf(rows);
    }

    public int size() {
        return rows.size();
    }

    public int numClasses() {
        return labels.size();
    }

    public int[] labelIndices() {
        return rows.stream().mapToInt(Row::label).toArray();
    }

    public double[] targets() {
        return rows.stream().mapToDouble(Row::target).toArray();
    }

    public List<String> textsA() {
        return rows.stream().map(Row::textA).toList();
    }

    /** Second texts (null entries for single-text datasets). */
    public List<String> textsB() {
        return rows.stream().map(Row::textB).toList();
    }

    /** Rows per class index (classification). */
    public long[] classCounts() {
        long[] c = new long[labels.size()];
        for (Row r : rows) {
            c[r.label()]++;
        }
        return c;
    }
}

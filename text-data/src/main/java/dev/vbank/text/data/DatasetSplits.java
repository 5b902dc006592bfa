package dev.vbank.text.data;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * Turns read files into training and validation sets: discovers labels on the training file (sorted: numerically when
 * every label is an integer, else as strings), checks the validation file against them, or carves a seeded, stratified
 * validation set out of the training rows.
 */
public record DatasetSplits(Dataset train, Dataset validation) {

    /** Train and validation from two files. */
    public static DatasetSplits of(RawDataset train, RawDataset validation, TaskType task) {
        checkSameSchema(train, validation);
        List<String> labels = task == TaskType.CLASSIFICATION ? discoverLabels(train) : List.of();
        return new DatasetSplits(toDataset(train, task, labels), toDataset(validation, task, labels));
    }

    /**
     * A validation set of about {@code fraction} of the rows, drawn per class (classification) so class proportions are
     * kept; each class keeps at least one training row. Same seed, same split.
     */
    public static DatasetSplits carve(RawDataset all, TaskType task, double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + fraction);
        }
        List<String> labels = task == TaskType.CLASSIFICATION ? discoverLabels(all) : List.of();
        Dataset full = toDataset(all, task, labels);
        Random rnd = new Random(seed);
        Map<Integer, List<Dataset.Row>> strata = new LinkedHashMap<>();
        for (Dataset.Row r : full.rows()) {
            strata.computeIfAbsent(task == TaskType.CLASSIFICATION ? r.label() : 0, k -> new ArrayList<>()).add(r);
        }
        List<Dataset.Row> train = new ArrayList<>();
        List<Dataset.Row> val = new ArrayList<>();
        for (List<Dataset.Row> group : strata.values()) {
            List<Dataset.Row> g = new ArrayList<>(group);
            Collections.shuffle(g, rnd);
            int n = (int) Math.min(Math.round(fraction * g.size()), g.size() - 1L);
            val.addAll(g.subList(0, n));
            train.addAll(g.subList(n, g.size()));
        }
        if (val.isEmpty()) {
            throw new DatasetException(new RowError(all.source(), 0, "too few rows (" + all.size()
                    + ") to carve a validation set of fraction " + fraction));
        }
        Collections.shuffle(train, rnd);
        Collections.shuffle(val, rnd);
        return new DatasetSplits(new Dataset(task, labels, all.pairs(), train), new Dataset(task, labels, all.pairs(), val));
    }

    /** Sorted class list of a file's labels. */
    public static List<String> discoverLabels(RawDataset data) {
        TreeSet<String> seen = new TreeSet<>();
        for (Example e : data.examples()) {
            seen.add(e.label());
        }
        boolean allIntegers = seen.stream().allMatch(DatasetSplits::isInteger);
        if (!allIntegers && seen.stream().allMatch(DatasetSplits::isNumber)) {
            Example first = data.examples().stream().filter(e -> !isInteger(e.label())).findFirst().orElseThrow();
            throw new DatasetException(new RowError(data.source(), first.line(), "label " + first.label()
                    + " is not a class name; numeric labels with fractions need task 'regression'"));
        }
        List<String> labels = new ArrayList<>(seen);
        if (allIntegers) {
            labels.sort(Comparator.comparing(BigDecimal::new));
        }
        if (labels.size() < 2) {
            throw new DatasetException(new RowError(data.source(), 0,
                    "classification needs at least 2 classes, found " + labels));
        }
        return labels;
    }

    private static Dataset toDataset(RawDataset data, TaskType task, List<String> labels) {
        ErrorCollector errors = new ErrorCollector(data.source(), 20);
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < labels.size(); i++) {
            index.put(labels.get(i), i);
        }
        List<Dataset.Row> rows = new ArrayList<>(data.size());
        for (Example e : data.examples()) {
            if (task == TaskType.CLASSIFICATION) {
                Integer idx = index.get(e.label());
                if (idx == null) {
                    errors.add(e.line(), "label '" + e.label() + "' is not one of the training classes " + labels);
                    continue;
                }
                rows.add(new Dataset.Row(e.textA(), e.textB(), idx, Double.NaN, e.line()));
            } else {
                double v;
                try {
                    v = Double.parseDouble(e.label());
                } catch (NumberFormatException ex) {
                    errors.add(e.line(), "label '" + e.label() + "' is not a number (task is regression)");
                    continue;
                }
                if (!Double.isFinite(v)) {
                    errors.add(e.line(), "label '" + e.label() + "' is not finite");
                    continue;
                }
                rows.add(new Dataset.Row(e.textA(), e.textB(), -1, v, e.line()));
            }
        }
        errors.throwIfAny();
        return new Dataset(task, labels, data.pairs(), rows);
    }

    private static void checkSameSchema(RawDataset train, RawDataset validation) {
        if (train.pairs() != validation.pairs()) {
            throw new DatasetException(new RowError(validation.source(), validation.examples().get(0).line(),
                    "validation rows are " + (validation.pairs() ? "text pairs" : "single texts")
                            + " but training rows are " + (train.pairs() ? "text pairs" : "single texts")));
        }
    }

    private static boolean isInteger(String s) {
        return s.matches("[+-]?\\d{1,18}");
    }

    private static boolean isNumber(String s) {
        try {
            new BigDecimal(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}

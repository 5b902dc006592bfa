package dev.vbank.text.eval;

import dev.vbank.text.data.Dataset;
import dev.vbank.text.data.DatasetReader;
import dev.vbank.text.data.DatasetSplits;
import dev.vbank.text.data.PublicDatasets;
import dev.vbank.text.data.RawDataset;
import dev.vbank.text.data.TaskType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The rows a suite task scores: where they come from ({@code public:<name>} through {@link PublicDatasets}, or a file the
 * caller downloaded) and which of them its {@link RowSplit} keeps.
 */
public final class TaskExamples {

    /**
     * Row order of the public JSONL files evaluation reads (their conversion shuffles with a seed): fixed, so a suite
     * version always scores the same rows.
     */
    public static final long PUBLIC_SEED = 13;

    /** How a task names a public data set: {@code public:<PublicDatasets name>}. */
    public static final String PUBLIC_PREFIX = "public:";

    private TaskExamples() {
    }

    /** The rows of {@code public:<name>}, fetched and converted under {@code dataDir} once. */
    public static RawDataset publicDataset(String dataset, Path dataDir) throws IOException, InterruptedException {
        if (!dataset.startsWith(PUBLIC_PREFIX)) {
            throw new IllegalArgumentException("dataset '" + dataset + "' is not " + PUBLIC_PREFIX + "<name>");
        }
        PublicDatasets.Source source = PublicDatasets.source(dataset.substring(PUBLIC_PREFIX.length()));
        return DatasetReader.read(PublicDatasets.fetch(source, dataDir, PUBLIC_SEED).jsonl());
    }

    /** {@code classification} or {@code regression} (the contract's lower-case names). */
    public static TaskType taskType(String name) {
        try {
            return TaskType.valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("task_type: expected classification or regression, got '" + name + "'");
        }
    }

    /**
     * The scored rows: {@code all} (also a null part) keeps the file's rows in file order, {@code test} the validation part of
     * {@link DatasetSplits#carve} with the split's fraction and seed (per-class, shuffled); then the first {@code limit}.
     * Class labels index the task's own sorted label list.
     */
    public static Dataset select(RawDataset raw, TaskType type, RowSplit split) {
        checkSplit(split);
        Dataset rows = RowSplit.TEST.equals(split.part())
                ? DatasetSplits.carve(raw, type, split.testFraction(), split.seed() == null ? 0 : split.seed())
                        .validation()
                : DatasetSplits.of(raw, raw, type).train();
        if (split.limit() == null || split.limit() >= rows.size()) {
            return rows;
        }
        return new Dataset(rows.task(), rows.labels(), rows.pairs(), rows.rows().subList(0, split.limit()));
    }

    /** Throws naming the field ({@code split.part}, {@code split.test_fraction}, {@code split.limit}) that is wrong. */
    public static void checkSplit(RowSplit split) {
        if (split.part() != null && !RowSplit.ALL.equals(split.part()) && !RowSplit.TEST.equals(split.part())) {
            throw new IllegalArgumentException("split.part: expected all or test, got '" + split.part() + "'");
        }
        if (RowSplit.TEST.equals(split.part())
                && (split.testFraction() == null || !(split.testFraction() > 0 && split.testFraction() < 1))) {
            throw new IllegalArgumentException("split.test_fraction: must be in (0, 1) for part test, was "
                    + split.testFraction());
        }
        if (split.limit() != null && split.limit() < 1) {
            throw new IllegalArgumentException("split.limit: must be >= 1, was " + split.limit());
        }
    }
}

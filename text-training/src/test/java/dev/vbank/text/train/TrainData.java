package dev.vbank.text.train;

import dev.vbank.text.TestDirs;
import dev.vbank.text.data.Dataset;
import dev.vbank.text.data.DatasetReader;
import dev.vbank.text.data.DatasetSplits;
import dev.vbank.text.data.PublicDatasets;
import dev.vbank.text.data.TaskType;

import java.util.ArrayList;
import java.util.List;

/** Small slices of the real UCI Amazon sentences (npm {@code sentiment@5.0.2}), and tasks derived from them. */
final class TrainData {
    private TrainData() {}

    static DatasetSplits amazon() throws Exception {
        PublicDatasets.Result r = PublicDatasets.fetch(PublicDatasets.UCI_AMAZON, TestDirs.cache().resolve("data"), 7);
        return DatasetSplits.carve(DatasetReader.read(r.jsonl()), TaskType.CLASSIFICATION, 0.3, 11);
    }

    static Dataset head(Dataset d, int n) {
        return new Dataset(d.task(), d.labels(), d.pairs(), d.rows().subList(0, n));
    }

    /** Pairs (row i, row i+1): label "same" when both sentences have the same sentiment. */
    static Dataset sameSentimentPairs(Dataset d, int n) {
        List<Dataset.Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Dataset.Row a = d.rows().get(i);
            Dataset.Row b = d.rows().get(i + 1);
            rows.add(new Dataset.Row(a.textA(), b.textA(), a.label() == b.label() ? 1 : 0, Double.NaN, a.line()));
        }
        return new Dataset(TaskType.CLASSIFICATION, List.of("different", "same"), true, rows);
    }

    /** The sentiment class as a real-valued target. */
    static Dataset asRegression(Dataset d, int n) {
        List<Dataset.Row> rows = new ArrayList<>();
        for (Dataset.Row r : d.rows().subList(0, n)) {
            rows.add(new Dataset.Row(r.textA(), null, -1, r.label(), r.line()));
        }
        return new Dataset(TaskType.REGRESSION, List.of(), false, rows);
    }
}

package dev.vbank.text.train;

import dev.vbank.text.data.DatasetReader;
import dev.vbank.text.data.DatasetSplits;
import dev.vbank.text.data.PublicDatasets;
import dev.vbank.text.data.RawDataset;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.data.Example;
import dev.vbank.text.data.Dataset;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vbank.text.TestDirs;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.tokenize.Padding;
import dev.vbank.text.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchesTest {
    @Test
    void epochsCoverEveryRowOnceInASeededOrderWithMatchingLabels() throws Exception {
        PublicDatasets.Result yelp = PublicDatasets.fetch(PublicDatasets.UCI_YELP, TestDirs.cache().resolve("data"), 7);
        Dataset train = DatasetSplits.carve(DatasetReader.read(yelp.jsonl()), TaskType.CLASSIFICATION, 0.1, 3).train();
        try (TextTokenizer tok = TextTokenizer.forModel(BaseModels.ALL_MINILM_L6_V2, 64)) {
            Batches batches = new Batches(train, tok, 32, Padding.LONGEST);
            assertThat(batches.batchesPerEpoch()).isEqualTo((train.size() + 31) / 32);

            List<Long> epoch0 = new ArrayList<>();
            int count = 0;
            for (Batches.LabeledBatch b : batches.epoch(11, 0)) {
                count++;
                assertThat(b.batch().length()).isLessThanOrEqualTo(64);
                for (int i = 0; i < b.batch().size(); i++) {
                    long line = b.lines()[i];
                    epoch0.add(line);
                    Dataset.Row row = train.rows().stream().filter(r -> r.line() == line).findFirst().orElseThrow();
                    assertThat(b.labels()[i]).isEqualTo((float) row.label());
                    // the batch row is the tokenized text, padded: same ids up to its length, then pad with mask 0
                    long[] ids = tok.encode(row.textA()).inputIds();
                    for (int t = 0; t < b.batch().length(); t++) {
                        assertThat(b.batch().inputId(i, t)).isEqualTo(t < ids.length ? ids[t] : tok.padId());
                        assertThat(b.batch().mask(i, t)).isEqualTo(t < ids.length ? 1 : 0);
                    }
                }
            }
            assertThat(count).isEqualTo(batches.batchesPerEpoch());
            assertThat(new HashSet<>(epoch0)).hasSize(train.size());

            List<Long> again = lines(batches.epoch(11, 0));
            List<Long> epoch1 = lines(batches.epoch(11, 1));
            assertThat(again).isEqualTo(epoch0);
            assertThat(epoch1).isNotEqualTo(epoch0);
            assertThat(Set.copyOf(epoch1)).isEqualTo(Set.copyOf(epoch0));
            assertThat(lines(batches.inOrder())).isEqualTo(train.rows().stream().map(Dataset.Row::line).toList());
        }
    }

    @Test
    void regressionPairsCarryTargetsAndSegmentIds() {
        RawDataset raw = new RawDataset("sts", true, List.of(
                new Example("A man plays guitar.", "Someone plays music.", "3.8", 1),
                new Example("A dog runs.", "The market fell.", "0.2", 2),
                new Example("Kids swim.", "Children are swimming.", "4.6", 3)));
        Dataset d = DatasetSplits.of(raw, raw, TaskType.REGRESSION).train();
        try (TextTokenizer tok = TextTokenizer.forModel(BaseModels.BGE_SMALL_EN_V15, 32)) {
            List<Batches.LabeledBatch> all = new ArrayList<>();
            new Batches(d, tok, 2, Padding.MAX_LENGTH).inOrder().forEach(all::add);
            assertThat(all).hasSize(2);
            assertThat(all.get(0).labels()).containsExactly(3.8f, 0.2f);
            assertThat(all.get(1).labels()).containsExactly(4.6f);
            assertThat(all.get(1).batch().length()).isEqualTo(32);
            long[] types = all.get(0).batch().tokenTypeIds2d()[0];
            assertThat(types[0]).isZero();
            assertThat(java.util.Arrays.stream(types).filter(t -> t == 1).count())
                    .isEqualTo(tok.encode("Someone plays music.").length() - 1); // second text + its [SEP]
        }
    }

    private static List<Long> lines(Iterable<Batches.LabeledBatch> it) {
        List<Long> out = new ArrayList<>();
        for (Batches.LabeledBatch b : it) {
            for (long l : b.lines()) {
                out.add(l);
            }
        }
        return out;
    }
}

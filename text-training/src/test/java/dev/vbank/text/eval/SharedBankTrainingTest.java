package dev.vbank.text.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vbank.text.TestDirs;
import dev.vbank.text.data.Dataset;
import dev.vbank.text.data.DatasetSplits;
import dev.vbank.text.data.RawDataset;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.text.train.Checkpoint;
import dev.vbank.text.train.FineTuneResult;
import dev.vbank.text.train.FineTuner;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.vblora.format.AdapterStates;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.BankRef;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.SharedBank;
import dev.vbank.vblora.format.VectorBankFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training against a published bank on all-MiniLM-L6-v2 with real sentences: a bank published from an adapter trained
 * on UCI Amazon, a second adapter trained on UCI Yelp against it (frozen), stored in kilobytes, scored with its bank.
 */
class SharedBankTrainingTest {
    private static final String MODEL = "all-minilm-l6-v2";
    private static final Path DATA = TestDirs.cache().resolve("eval-data");

    private static Dataset slice(String dataset, int from, int to) throws Exception {
        RawDataset raw = TaskExamples.publicDataset(dataset, DATA);
        Dataset all = DatasetSplits.of(raw, raw, TaskType.CLASSIFICATION).train();
        return new Dataset(all.task(), all.labels(), false, all.rows().subList(from, to));
    }

    @Test
    void perUserAdapterOnAPublishedBankIsKilobytesAndScoresLikeItsFp32Twin(@TempDir Path dir) throws Exception {
        try (FineTuner tuner = new FineTuner(new BaseModelStore(TestDirs.models()));
             SuiteEvaluator evaluator = new SuiteEvaluator(tuner, 16)) {
            TrainingSpec privateSpec = TrainingSpec.builder(MODEL).maxSteps(10).batchSize(8).maxSeqLength(32)
                    .warmupRatio(0).seed(3).build();
            FineTuneResult first = tuner.run(privateSpec, slice("public:uci-amazon", 0, 80), null, dir.resolve("a"),
                    FineTuner.RunOptions.defaults());
            AdapterWeights source = CompactFormat.read(Files.readAllBytes(first.adapterFile()));
            byte[] bankFile = VectorBankFile.write(source.vectorBank());
            BankRef ref = new BankRef("vbank-amazon", VectorBankFile.sha256(bankFile));
            SharedBank shared = new SharedBank(ref, VectorBankFile.read(bankFile));

            TrainingSpec userSpec = privateSpec.toBuilder().sharedBank(shared).maxSteps(12).checkpointEvery(12).seed(4)
                    .build();
            FineTuneResult user = tuner.run(userSpec, slice("public:uci-yelp", 0, 96), null, dir.resolve("b"),
                    FineTuner.RunOptions.defaults());
            byte[] stored = Files.readAllBytes(user.adapterFile());
            System.out.printf("shared-bank adapter (qv, 2 labels): %d bytes; private-bank source adapter: %d bytes%n",
                    stored.length, Files.size(first.adapterFile()));
            assertThat(stored.length).isLessThanOrEqualTo(4096);
            assertThat(CompactFormat.bankRef(stored)).isEqualTo(ref);
            assertThatThrownBy(() -> CompactFormat.read(stored)).isInstanceOf(CompactFormat.BankRequiredException.class);
            AdapterWeights back = CompactFormat.read(stored, r -> bankFile);
            assertThat(back.vectorBank()).isEqualTo(source.vectorBank());
            // trainable: the logits and the head, not the bank
            long logits = user.accounting().subVectors() * 90;
            assertThat(user.accounting().trainable()).isEqualTo(logits + 2 * 384 + 2);
            // what changed is the selection: not the source adapter's
            assertThat(back.toTopKOnly().vbloraModules()).isNotEqualTo(source.toTopKOnly().vbloraModules());

            // fp16 top-k weights and head score as their fp32 twin on 96 held-out Yelp rows
            CompactFormat.Options fp32 = new CompactFormat.Options(CompactFormat.Precision.F32,
                    CompactFormat.Precision.F32, CompactFormat.Precision.F32);
            Checkpoint last = Checkpoint.read(user.lastCheckpoint());
            AdapterWeights trainedFp32 = userSpec.adapterMethod().adapterWeights(last.model(), new AdapterStates.Meta(
                    back.baseModelId(), back.baseWeightsSha256(), back.taskType(), back.labels(), back.provenance()));
            assertThat(trainedFp32.bankRef()).isEqualTo(ref);
            byte[] twin = CompactFormat.write(trainedFp32, fp32);
            assertThat(twin.length).isGreaterThan(stored.length);
            ScoringTask task = new ScoringTask("yelp", "public:uci-yelp", "classification", List.of("accuracy"),
                    new RowSplit("all", null, null, 300));
            RawDataset yelp = TaskExamples.publicDataset("public:uci-yelp", DATA);
            double[][] half;
            double[][] full;
            TaskScore halfScore;
            TaskScore fullScore;
            try (ScoringAdapter m = evaluator.load(stored, r -> bankFile)) {
                SuiteEvaluator.Scored s = evaluator.score(m, task, yelp, () -> false);
                half = s.outputs();
                halfScore = s.result();
            }
            try (ScoringAdapter m = evaluator.load(twin, r -> bankFile)) {
                SuiteEvaluator.Scored s = evaluator.score(m, task, yelp, () -> false);
                full = s.outputs();
                fullScore = s.result();
            }
            int agree = 0;
            for (int i = 0; i < half.length; i++) {
                agree += (half[i][1] > half[i][0]) == (full[i][1] > full[i][0]) ? 1 : 0;
            }
            System.out.printf("fp16 vs fp32 shared-bank adapter on 300 Yelp rows: %d agree; accuracy %s vs %s%n",
                    agree, halfScore.metrics(), fullScore.metrics());
            assertThat(agree).isGreaterThanOrEqualTo(half.length - 1);
            assertThat(halfScore.metrics()).isEqualTo(fullScore.metrics());
        }
    }
}

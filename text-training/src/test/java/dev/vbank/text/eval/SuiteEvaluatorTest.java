package dev.vbank.text.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.vbank.text.TestDirs;
import dev.vbank.text.data.Dataset;
import dev.vbank.text.data.DatasetReader;
import dev.vbank.text.data.DatasetSplits;
import dev.vbank.text.data.RawDataset;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.tokenize.Padding;
import dev.vbank.text.tokenize.TextTokenizer;
import dev.vbank.text.train.FineTuner;
import dev.vbank.text.train.Method;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.model.AdapterLoader;
import dev.vbank.vblora.model.Batch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Suite evaluation on all-MiniLM-L6-v2 with adapters trained here in a few steps on real UCI sentences (npm
 * {@code sentiment@5.0.2}): metrics recomputed by hand from the scored outputs, scoring vs merged and unmerged logits, splits,
 * skipped tasks, the head-only baseline, and native memory across tasks.
 */
class SuiteEvaluatorTest {
    private static final String MODEL = "all-minilm-l6-v2";
    private static final Path DATA = TestDirs.cache().resolve("eval-data");

    private static FineTuner tuner;
    private static SuiteEvaluator evaluator;
    private static RawDataset amazon;
    private static byte[] classifier;
    private static byte[] regressor;
    private static Path workDir;

    @BeforeAll
    static void setUp() throws Exception {
        workDir = Files.createTempDirectory("suite-evaluator-test");
        tuner = new FineTuner(new BaseModelStore(TestDirs.models()));
        evaluator = new SuiteEvaluator(tuner, 16);
        amazon = TaskExamples.publicDataset("public:uci-amazon", DATA);
        Dataset all = DatasetSplits.of(amazon, amazon, TaskType.CLASSIFICATION).train();
        Dataset train = new Dataset(all.task(), all.labels(), false, all.rows().subList(0, 48));
        TrainingSpec spec = TrainingSpec.builder(MODEL).maxSteps(8).batchSize(8).maxSeqLength(32).warmupRatio(0)
                .seed(3).build();
        classifier = Files.readAllBytes(tuner.run(spec, train, null, workDir.resolve("cls"),
                FineTuner.RunOptions.defaults()).adapterFile());
        List<Dataset.Row> targets = new ArrayList<>();
        for (Dataset.Row r : train.rows()) {
            targets.add(new Dataset.Row(r.textA(), null, -1, r.label(), r.line()));
        }
        Dataset reg = new Dataset(TaskType.REGRESSION, List.of(), false, targets);
        regressor = Files.readAllBytes(tuner.run(spec.toBuilder().task(TaskType.REGRESSION).maxSteps(4).build(), reg,
                null, workDir.resolve("reg"), FineTuner.RunOptions.defaults()).adapterFile());
    }

    @AfterAll
    static void tearDown() {
        evaluator.close();
        tuner.close();
    }

    private static ScoringTask task(String name, String dataset, String type, List<String> metrics, RowSplit split) {
        return new ScoringTask(name, dataset, type, metrics, split);
    }

    private static SuiteEvaluator.TaskSource publicOr(Map<String, Path> files) {
        return t -> files.containsKey(t.dataset()) ? DatasetReader.read(files.get(t.dataset()))
                : TaskExamples.publicDataset(t.dataset(), DATA);
    }

    @Test
    void classificationMetricsEqualTheirHandComputedValuesFromTheScoredOutputs() throws Exception {
        ScoringTask t = task("imdb", "public:uci-imdb", "classification", List.of("accuracy", "f1_macro", "mcc"),
                new RowSplit(RowSplit.ALL, null, null, 48));
        try (ScoringAdapter m = evaluator.load(classifier)) {
            SuiteEvaluator.Scored s = evaluator.score(m, t, TaskExamples.publicDataset(t.dataset(), DATA), () -> false);
            TaskScore r = s.result();
            assertThat(r.status()).isEqualTo(TaskScore.SUCCEEDED);
            assertThat(r.examples()).isEqualTo(48);
            assertThat(r.examplesPerSecond()).isPositive();
            assertThat(s.outputs()).hasNumberOfRows(48);

            // gold from the file itself: the first 48 rows, labels "0"/"1" as the adapter's head orders them
            RawDataset imdb = TaskExamples.publicDataset(t.dataset(), DATA);
            assertThat(m.labels()).containsExactly("0", "1");
            int[] gold = imdb.examples().subList(0, 48).stream().mapToInt(e -> Integer.parseInt(e.label())).toArray();
            assertThat(s.goldClasses()).containsExactly(gold);
            long tp = 0, tn = 0, fp = 0, fn = 0;
            for (int i = 0; i < 48; i++) {
                boolean predictedPositive = s.outputs()[i][1] > s.outputs()[i][0];
                boolean positive = gold[i] == 1;
                if (predictedPositive && positive) {
                    tp++;
                } else if (predictedPositive) {
                    fp++;
                } else if (positive) {
                    fn++;
                } else {
                    tn++;
                }
            }
            double accuracy = (tp + tn) / 48.0;
            double f1Positive = 2.0 * tp / (2 * tp + fp + fn);
            double f1Negative = 2.0 * tn / (2 * tn + fn + fp);
            double mccDenominator = Math.sqrt((double) (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
            double mcc = mccDenominator == 0 ? 0 : (tp * tn - fp * fn) / mccDenominator;
            assertThat(r.metrics()).containsOnlyKeys("accuracy", "f1_macro", "mcc");
            assertThat(r.metrics().get("accuracy")).isEqualTo(accuracy);
            assertThat(r.metrics().get("f1_macro")).isCloseTo((f1Positive + f1Negative) / 2, within(1e-12));
            assertThat(r.metrics().get("mcc")).isCloseTo(mcc, within(1e-12));
            assertThat(tp + fp).as("the trained head predicts more than one class").isBetween(1L, 47L);

            // the outputs are the rows' own (scoring batches rows by length and puts the outputs back in row order)
            try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
                var tb = m.tokenizer().encodeBatch(imdb.examples().subList(0, 48).stream().map(e -> e.textA()).toList(),
                        Padding.LONGEST);
                float[] direct = m.predict(manager, new Batch(tb.size(), tb.length(), tb.inputIds(), tb.attentionMask(),
                        tb.tokenTypeIds(), null));
                for (int i = 0; i < 48; i++) {
                    assertThat(s.outputs()[i][0]).as("row %d", i).isCloseTo(direct[2 * i], within(1e-4));
                    assertThat(s.outputs()[i][1]).as("row %d", i).isCloseTo(direct[2 * i + 1], within(1e-4));
                }
            }
        }
    }

    @Test
    void regressionMetricsEqualTheirHandComputedValues(@TempDir Path dir) throws Exception {
        RawDataset imdb = TaskExamples.publicDataset("public:uci-imdb", DATA);
        StringBuilder jsonl = new StringBuilder();
        double[] gold = new double[40];
        for (int i = 0; i < 40; i++) {
            var e = imdb.examples().get(100 + i);
            gold[i] = Integer.parseInt(e.label()) * 0.5 + (i % 4) * 0.125; // ties on purpose: Spearman's average ranks
            jsonl.append("{\"text\": ").append(com.fasterxml.jackson.databind.node.TextNode.valueOf(e.textA()))
                    .append(", \"label\": ").append(gold[i]).append("}\n");
        }
        Path file = dir.resolve("scores.jsonl");
        Files.writeString(file, jsonl, StandardCharsets.UTF_8);
        ScoringTask t = task("scores", "file-regression", "regression", List.of("pearson", "spearman", "mse"),
                RowSplit.all());
        try (ScoringAdapter m = evaluator.load(regressor)) {
            assertThat(m.taskType()).isEqualTo(TaskType.REGRESSION);
            SuiteEvaluator.Scored s = evaluator.score(m, t, DatasetReader.read(file), () -> false);
            assertThat(s.result().status()).isEqualTo(TaskScore.SUCCEEDED);
            assertThat(s.result().examples()).isEqualTo(40);
            assertThat(s.goldTargets()).containsExactly(gold);
            double[] pred = new double[40];
            for (int i = 0; i < 40; i++) {
                pred[i] = s.outputs()[i][0];
            }
            double mse = 0;
            for (int i = 0; i < 40; i++) {
                mse += (pred[i] - gold[i]) * (pred[i] - gold[i]) / 40;
            }
            Map<String, Double> metrics = s.result().metrics();
            assertThat(metrics.get("mse")).isCloseTo(mse, within(1e-12));
            assertThat(metrics.get("pearson")).isCloseTo(pearson(pred, gold), within(1e-12));
            assertThat(metrics.get("spearman")).isCloseTo(pearson(ranks(pred), ranks(gold)), within(1e-12));
            assertThat(java.util.Arrays.stream(gold).distinct().count()).as("tied gold values").isLessThan(40);
        }
    }

    private static double pearson(double[] x, double[] y) {
        double mx = 0, my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i] / x.length;
            my += y[i] / y.length;
        }
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    /** 1 + values below + half the other values equal: the average rank of a tie. */
    private static double[] ranks(double[] v) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            int below = 0, equal = 0;
            for (double w : v) {
                below += w < v[i] ? 1 : 0;
                equal += w == v[i] ? 1 : 0;
            }
            r[i] = 1 + below + (equal - 1) / 2.0;
        }
        return r;
    }

    @Test
    void scoringGivesTheMergedAndTheUnmergedAdaptedModelsLogitsAndLeavesTheSharedBaseUntouched() throws Exception {
        var bm = BaseModels.get(MODEL);
        String query = "encoder.layer.0.attention.self.query.weight";
        Tensor before = tuner.baseWeights(bm).toTensor(query);
        List<String> texts = amazon.examples().subList(200, 216).stream().map(e -> e.textA()).toList();
        var weights = CompactFormat.read(classifier);
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager();
             TextTokenizer tok = TextTokenizer.forModel(bm, 32);
             ScoringAdapter scoring = evaluator.load(classifier);
             var copies = tuner.baseWeights(bm).withCopiesOf(manager,
                     weights.adaptedPaths().stream().map(p -> p + ".weight").toList());
             AdaptedEncoder merged = AdapterLoader.load(manager, copies, weights, FineTuner.poolingOf(bm));
             AdaptedEncoder unmerged = AdapterLoader.load(manager, tuner.baseWeights(bm), weights,
                     FineTuner.poolingOf(bm));
             AdaptedEncoder headAlone = new AdaptedEncoder(tuner.baseWeights(bm), new dev.vbank.vblora.model.NoAdapter(),
                     dev.vbank.vblora.model.ClassificationHead.fromState(manager, bm.hiddenSize(),
                             FineTuner.poolingOf(bm), weights.head()))) {
            merged.merge();
            assertThat(scoring.maxSeqLength()).as("recorded in the adapter's provenance").isEqualTo(32);
            var t = tok.encodeBatch(texts, Padding.LONGEST);
            Batch batch = new Batch(t.size(), t.length(), t.inputIds(), t.attentionMask(), t.tokenTypeIds(), null);
            float[] a = scoring.predict(manager, batch);
            float[] m = merged.predict(manager, batch);
            float[] b = unmerged.predict(manager, batch);
            float[] base = headAlone.predict(manager, batch);
            double maxDiffMerged = 0;
            double maxDiffUnmerged = 0;
            double adapterEffect = 0;
            for (int i = 0; i < a.length; i++) {
                maxDiffMerged = Math.max(maxDiffMerged, Math.abs(a[i] - m[i]));
                maxDiffUnmerged = Math.max(maxDiffUnmerged, Math.abs(a[i] - b[i]));
                adapterEffect = Math.max(adapterEffect, Math.abs(b[i] - base[i]));
            }
            assertThat(a).hasSize(32);
            assertThat(maxDiffMerged).as("scoring vs merged logits").isLessThan(1e-4);
            assertThat(maxDiffUnmerged).as("scoring vs unmerged logits").isLessThan(1e-4);
            assertThat(adapterEffect).as("the adapter changes the logits (else the comparison proves nothing)")
                    .isGreaterThan(1e-3);
        }
        assertThat(tuner.baseWeights(bm).toTensor(query).data()).containsExactly(before.data());
    }

    @Test
    void testSplitsAreTheSeededCarveAndLimitKeepsTheirFirstRows() {
        RowSplit test = new RowSplit(RowSplit.TEST, 0.3, 5L, null);
        Dataset carved = DatasetSplits.carve(amazon, TaskType.CLASSIFICATION, 0.3, 5).validation();
        Dataset selected = TaskExamples.select(amazon, TaskType.CLASSIFICATION, test);
        assertThat(selected.rows()).isEqualTo(carved.rows()).hasSizeBetween(290, 300);
        assertThat(TaskExamples.select(amazon, TaskType.CLASSIFICATION, test).rows()).isEqualTo(selected.rows());
        assertThat(TaskExamples.select(amazon, TaskType.CLASSIFICATION, new RowSplit(RowSplit.TEST, 0.3, 6L, null))
                .rows()).isNotEqualTo(selected.rows());

        Dataset limited = TaskExamples.select(amazon, TaskType.CLASSIFICATION, new RowSplit(RowSplit.TEST, 0.3, 5L, 25));
        assertThat(limited.rows()).isEqualTo(selected.rows().subList(0, 25));

        Dataset head = TaskExamples.select(amazon, TaskType.CLASSIFICATION, new RowSplit(RowSplit.ALL, null, null, 10));
        assertThat(head.rows()).extracting(Dataset.Row::line).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
        assertThat(TaskExamples.select(amazon, TaskType.CLASSIFICATION, RowSplit.all()).size()).isEqualTo(990);
        assertThat(TaskExamples.select(amazon, TaskType.CLASSIFICATION, new RowSplit(RowSplit.ALL, null, null, 5000))
                .size()).isEqualTo(990);

        assertThatThrownBy(() -> TaskExamples.select(amazon, TaskType.CLASSIFICATION,
                new RowSplit(RowSplit.TEST, null, 1L, null))).hasMessageContaining("test_fraction");
        assertThatThrownBy(() -> TaskExamples.select(amazon, TaskType.CLASSIFICATION,
                new RowSplit("train", null, null, null))).hasMessageContaining("split.part");
        assertThatThrownBy(() -> TaskExamples.select(amazon, TaskType.CLASSIFICATION,
                new RowSplit(RowSplit.ALL, null, null, 0))).hasMessageContaining("split.limit");
    }

    @Test
    void tasksTheHeadCannotScoreAreSkippedWithTheReason(@TempDir Path dir) throws Exception {
        Path words = dir.resolve("words.jsonl");
        Files.writeString(words, "{\"text\": \"great phone\", \"label\": \"positive\"}\n"
                + "{\"text\": \"broke in a week\", \"label\": \"negative\"}\n");
        List<ScoringTask> tasks = List.of(
                task("named-labels", "file-words", "classification", List.of("accuracy"), RowSplit.all()),
                task("as-regression", "public:uci-imdb", "regression", List.of("mse"), RowSplit.all()),
                task("wrong-metric", "public:uci-imdb", "classification", List.of("accuracy", "pearson"),
                        RowSplit.all()),
                task("fine", "public:uci-imdb", "classification", List.of(), new RowSplit(RowSplit.ALL, null, null, 8)));
        List<Integer> done = new ArrayList<>();
        SuiteScore o = evaluator.evaluate(classifier, tasks, publicOr(Map.of("file-words", words)),
                (d, total, r) -> done.add(d), () -> false);
        assertThat(done).containsExactly(1, 2, 3, 4);
        assertThat(o.tasks()).extracting(TaskScore::status).containsExactly(TaskScore.SKIPPED, TaskScore.SKIPPED,
                TaskScore.SKIPPED, TaskScore.SUCCEEDED);
        assertThat(o.tasks().get(0).detail()).contains("[negative, positive]").contains("[0, 1]");
        assertThat(o.tasks().get(1).detail()).contains("regression").contains("classification");
        assertThat(o.tasks().get(2).detail()).contains("pearson");
        assertThat(o.tasks().get(0).examples()).isZero();
        assertThat(o.tasks().get(0).metrics()).isEmpty();
        assertThat(o.tasks().get(3).metrics()).containsOnlyKeys("accuracy", "f1_macro");
        assertThat(o.tasks().get(3).examples()).isEqualTo(8);

        assertThat(o.subjectSha256()).isEqualTo(HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(classifier)));
        assertThat(o.storedBytes()).isEqualTo(classifier.length);
        var acc = dev.vbank.vblora.format.Accounting.of(CompactFormat.read(classifier), CompactFormat.Options.FP32);
        assertThat(o.trainableParameters()).isEqualTo(acc.trainable());
        // stored as PEFT's default save mode (save_only_topk_weights=false): bank 90×128, the full logits (S×90) of
        // the S sub-vectors, head 2×384 + 2
        long s = acc.subVectors();
        assertThat(o.storedParameters()).isEqualTo(90 * 128 + s * 90 + 2 * 384 + 2);
    }

    @Test
    void cancellationStopsBetweenBatches() {
        ScoringTask t = task("imdb", "public:uci-imdb", "classification", List.of("accuracy"), RowSplit.all());
        int[] checks = {0};
        assertThatThrownBy(() -> evaluator.evaluate(classifier, List.of(t), publicOr(Map.of()), SuiteEvaluator.Listener.NONE,
                () -> ++checks[0] > 3)).isInstanceOf(CancellationException.class);
        assertThat(checks[0]).isEqualTo(4);
    }

    @Test
    void theHeadOnlyBaselineIsTrainedWithoutCheckpointsAndScoredLikeAnyAdapter() throws Exception {
        Dataset all = DatasetSplits.of(amazon, amazon, TaskType.CLASSIFICATION).train();
        Dataset train = new Dataset(all.task(), all.labels(), false, all.rows().subList(0, 32));
        TrainingSpec spec = TrainingSpec.builder(MODEL).method(Method.HEAD_ONLY).maxSteps(4).batchSize(8)
                .maxSeqLength(24).checkpointEvery(2).seed(9).build();
        Path out = workDir.resolve("baseline");
        byte[] baseline = evaluator.trainBaseline(spec, train, null, out, () -> false);
        assertThat(out.resolve(FineTuner.CHECKPOINTS)).doesNotExist();
        SuiteScore o = evaluator.evaluate(baseline, List.of(task("imdb", "public:uci-imdb", "classification",
                List.of("accuracy"), new RowSplit(RowSplit.ALL, null, null, 16))), publicOr(Map.of()),
                SuiteEvaluator.Listener.NONE, () -> false);
        assertThat(o.trainableParameters()).isEqualTo(2 * 384 + 2);
        assertThat(o.storedParameters()).isEqualTo(2 * 384 + 2);
        assertThat(o.storedBytes()).isEqualTo(baseline.length);
        assertThat(o.subjectSha256()).isEqualTo(SuiteEvaluator.sha256(baseline));
        assertThat(o.tasks().get(0).metrics().get("accuracy")).isBetween(0.0, 1.0);
        assertThatThrownBy(() -> evaluator.trainBaseline(spec.toBuilder().method(Method.VBLORA).build(), train, null,
                out, () -> false)).hasMessageContaining("head_only");
    }

    @Test
    void trainsAndScoresOnAThreadOtherThanTheOneThatLoadedLibtorch() throws Exception {
        Dataset all = DatasetSplits.of(amazon, amazon, TaskType.CLASSIFICATION).train();
        Dataset train = new Dataset(all.task(), all.labels(), false, all.rows().subList(0, 16));
        TrainingSpec spec = TrainingSpec.builder(MODEL).method(Method.HEAD_ONLY).maxSteps(2).batchSize(8)
                .maxSeqLength(16).seed(2).build();
        var pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            SuiteScore o = pool.submit(() -> evaluator.evaluate(
                    evaluator.trainBaseline(spec, train, null, workDir.resolve("other-thread"), () -> false),
                    List.of(task("amazon", "public:uci-amazon", "classification", List.of("accuracy"),
                            new RowSplit(RowSplit.ALL, null, null, 8))), publicOr(Map.of()),
                    SuiteEvaluator.Listener.NONE, () -> false)).get();
            assertThat(o.tasks().get(0).status()).isEqualTo(TaskScore.SUCCEEDED);
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void liveArraysStayFlatAcrossTasksAndAdapters() throws Exception {
        List<ScoringTask> tasks = List.of(
                task("imdb", "public:uci-imdb", "classification", List.of("accuracy", "mcc"),
                        new RowSplit(RowSplit.TEST, 0.2, 1L, 24)),
                task("yelp", "public:uci-yelp", "classification", List.of("f1_macro"),
                        new RowSplit(RowSplit.ALL, null, null, 20)),
                task("amazon", "public:uci-amazon", "classification", List.of("accuracy"),
                        new RowSplit(RowSplit.ALL, null, null, 20)));
        evaluator.evaluate(classifier, tasks, publicOr(Map.of()), SuiteEvaluator.Listener.NONE, () -> false);
        int baseline = tuner.liveArrays() + evaluator.liveArrays();
        List<Integer> during = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            SuiteScore o = evaluator.evaluate(classifier, tasks, publicOr(Map.of()),
                    (d, n, r) -> during.add(tuner.liveArrays() + evaluator.liveArrays()), () -> false);
            assertThat(o.tasks()).extracting(TaskScore::examples).containsExactly(24, 20, 20);
            assertThat(tuner.liveArrays() + evaluator.liveArrays()).as("after round %d", round).isEqualTo(baseline);
        }
        assertThat(during).as("while the merged adapter is loaded, per task").containsOnly(during.get(0));
    }
}

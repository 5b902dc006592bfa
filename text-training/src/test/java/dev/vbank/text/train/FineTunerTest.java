package dev.vbank.text.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import dev.vbank.text.TestDirs;
import dev.vbank.text.data.Dataset;
import dev.vbank.text.data.DatasetSplits;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.model.ParamGroup;
import dev.vbank.vblora.precision.Precision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The training loop on all-MiniLM-L6-v2 and real sentences, with tiny slices and short sequences. */
class FineTunerTest {
    private static final String MODEL = "all-minilm-l6-v2";
    private static DatasetSplits amazon;
    private static FineTuner tuner;

    @BeforeAll
    static void setUp() throws Exception {
        amazon = TrainData.amazon();
        tuner = new FineTuner(new BaseModelStore(TestDirs.models()));
    }

    @AfterAll
    static void tearDown() {
        tuner.close();
    }

    /** 20 rows, batch 4: 5 micro-batches per epoch; accumulation 2, so step 3 stops mid-epoch 1. Dropout on. */
    private static TrainingSpec resumeSpec(Method method) {
        return TrainingSpec.builder(MODEL).method(method)
                .vblora(TrainingSpec.defaultVblora("qv").withDropout(0.1))
                .lora(LoraConfig.defaults().withDropout(0.1))
                .maxSteps(6).batchSize(4).gradientAccumulation(2).maxSeqLength(24).warmupRatio(0.3)
                .evalEvery(2).seed(5).build();
    }

    @ParameterizedTest
    @CsvSource({"VBLORA, FP32", "LORA, FP32", "VBLORA, BF16"})
    void resumeFromACheckpointReproducesTheUninterruptedRunBitForBit(Method method, Precision precision,
                                                                     @TempDir Path dir) throws Exception {
        TrainingSpec spec = resumeSpec(method).toBuilder().precision(precision).build();
        Dataset train = TrainData.head(amazon.train(), 20);
        Dataset val = TrainData.head(amazon.validation(), 8);

        FineTuneResult full = tuner.run(spec, train, val, dir.resolve("full"), FineTuner.RunOptions.defaults());
        assertThat(full.status()).isEqualTo(FineTuneResult.Status.COMPLETED);
        assertThat(full.losses()).hasSize(6);

        List<Long> seen = new ArrayList<>();
        FineTuneResult cut = tuner.run(spec, train, val, dir.resolve("cut"), FineTuner.RunOptions.defaults()
                .withListener(new ProgressListener() {
                    @Override
                    public void onStep(Progress p) {
                        seen.add(p.step());
                    }
                })
                .withCancel(() -> seen.size() == 3));
        assertThat(cut.status()).isEqualTo(FineTuneResult.Status.CANCELLED);
        assertThat(cut.steps()).isEqualTo(3);
        Path ckpt = cut.lastCheckpoint();
        assertThat(ckpt).isDirectoryContaining(p -> p.getFileName().toString().equals(Checkpoint.OPTIMIZER));
        Checkpoint c = Checkpoint.read(ckpt);
        assertThat(c.epoch()).isEqualTo(1);
        assertThat(c.batchInEpoch()).isEqualTo(1);
        assertThat(c.optimizer().keySet()).anyMatch(k -> k.endsWith(".exp_avg_sq"));

        // new tuner (fresh base weights and managers), libtorch generator moved elsewhere
        Engine.getEngine("PyTorch").setRandomSeed(987_654);
        FineTuneResult resumed;
        try (FineTuner other = new FineTuner(new BaseModelStore(TestDirs.models()))) {
            resumed = other.run(spec, train, val, dir.resolve("resumed"),
                    FineTuner.RunOptions.defaults().withResumeFrom(ckpt));
        }
        assertThat(resumed.status()).isEqualTo(FineTuneResult.Status.COMPLETED);
        assertThat(bits(resumed.losses())).containsExactlyElementsOf(bits(full.losses()));
        assertThat(bits(cut.losses())).containsExactlyElementsOf(bits(full.losses().subList(0, 3)));
        assertThat(resumed.final_()).isEqualTo(full.final_());
        assertThat(Files.readAllBytes(resumed.adapterFile())).isEqualTo(Files.readAllBytes(full.adapterFile()));
        // losses move between steps: a resume that restarted from scratch could not match
        assertThat(full.losses().stream().distinct().count()).isEqualTo(6);
        // the spec a checkpoint records names bf16; fp32 stays unnamed so older checkpoints still match their spec
        assertThat(c.spec().has("precision")).isEqualTo(precision == Precision.BF16);
        if (precision == Precision.BF16) {
            assertThat(c.spec().get("precision").asText()).isEqualTo("bf16");
            FineTuneResult fp32 = tuner.run(resumeSpec(method), train, val, dir.resolve("fp32"),
                    FineTuner.RunOptions.defaults());
            assertThat(full.losses().get(0)).isNotEqualTo(fp32.losses().get(0))
                    .isCloseTo(fp32.losses().get(0), org.assertj.core.data.Offset.offset(5e-3f));
        }
    }

    @Test
    void resumeRefusesACheckpointOfAnotherSpec(@TempDir Path dir) throws Exception {
        TrainingSpec spec = resumeSpec(Method.LORA).toBuilder().checkpointEvery(1).maxSteps(1).build();
        Dataset train = TrainData.head(amazon.train(), 8);
        FineTuneResult r = tuner.run(spec, train, null, dir.resolve("a"), FineTuner.RunOptions.defaults());
        TrainingSpec other = spec.toBuilder().seed(6).build();
        assertThatThrownBy(() -> tuner.run(other, train, null, dir.resolve("b"),
                FineTuner.RunOptions.defaults().withResumeFrom(r.lastCheckpoint())))
                .hasMessageContaining("different spec");
    }

    @Test
    void aWallTimeIntervalCheckpointsBetweenStepCheckpoints(@TempDir Path dir) throws Exception {
        TrainingSpec spec = TrainingSpec.builder(MODEL).method(Method.HEAD_ONLY).headLr(1e-2).maxSteps(4).batchSize(4)
                .maxSeqLength(24).checkpointEvery(0).seed(3).build();
        Dataset train = TrainData.head(amazon.train(), 16);
        List<Long> everyStep = checkpointSteps(spec, train, dir.resolve("due"), java.time.Duration.ofNanos(1));
        // due after every step; the last step ends in the adapter instead
        assertThat(everyStep).containsExactly(1L, 2L, 3L);
        assertThat(checkpointSteps(spec, train, dir.resolve("never"), java.time.Duration.ofHours(1))).isEmpty();
        assertThat(checkpointSteps(spec, train, dir.resolve("off"), null)).isEmpty();
        List<Long> both = checkpointSteps(spec.toBuilder().checkpointEvery(4).build(), train, dir.resolve("both"),
                java.time.Duration.ofHours(1));
        assertThat(both).containsExactly(4L);
    }

    private static List<Long> checkpointSteps(TrainingSpec spec, Dataset train, Path dir, java.time.Duration interval)
            throws Exception {
        List<Long> steps = new ArrayList<>();
        FineTuneResult r = tuner.run(spec, train, null, dir, FineTuner.RunOptions.defaults()
                .withCheckpointInterval(interval)
                .withListener(new ProgressListener() {
                    @Override
                    public void onCheckpoint(long step, Path checkpoint) {
                        steps.add(step);
                        assertThat(checkpoint).isDirectoryContaining(p -> p.getFileName().toString()
                                .equals(Checkpoint.OPTIMIZER));
                    }
                }));
        assertThat(r.status()).isEqualTo(FineTuneResult.Status.COMPLETED);
        return steps;
    }

    @Test
    void headOnlyLearnsSentimentAndReportsProgressWithoutLeakingArrays(@TempDir Path dir) throws Exception {
        TrainingSpec spec = TrainingSpec.builder(MODEL).method(Method.HEAD_ONLY).headLr(2e-2).epochs(3).batchSize(16)
                .maxSeqLength(48).warmupRatio(0.1).evalEvery(10).checkpointEvery(13).seed(3).build();
        Dataset train = TrainData.head(amazon.train(), 160);
        Dataset val = TrainData.head(amazon.validation(), 100);
        List<Progress> progress = new ArrayList<>();
        List<Integer> live = new ArrayList<>();
        FineTuneResult r = tuner.run(spec, train, val, dir, FineTuner.RunOptions.defaults()
                .withListener(new ProgressListener() {
                    @Override
                    public void onStep(Progress p) {
                        progress.add(p);
                        live.add(tuner.liveArrays());
                    }
                }));
        assertThat(r.totalSteps()).isEqualTo(30);
        assertThat(progress).extracting(Progress::step).containsExactlyElementsOf(
                java.util.stream.LongStream.rangeClosed(1, 30).boxed().toList());
        // warm-up: 3 steps from 0, then linear decay
        assertThat(progress.get(0).learningRates().get(ParamGroup.HEAD)).isEqualTo(0.0);
        assertThat(progress.get(3).learningRates().get(ParamGroup.HEAD)).isCloseTo(2e-2, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(progress.get(29).learningRates().get(ParamGroup.HEAD)).isLessThan(2e-3);
        assertThat(progress.get(29).epoch()).isEqualTo(3.0);
        assertThat(progress).allMatch(p -> p.examplesPerSecond() > 0 && p.etaSeconds() >= 0);
        assertThat(progress.get(29).etaSeconds()).isEqualTo(0.0);
        assertThat(live.get(29)).isEqualTo(live.get(2));

        assertThat(r.evaluations()).extracting(Checkpoint.StepEvaluation::step).containsExactly(10L, 20L, 30L);
        assertThat(r.final_().accuracy()).isGreaterThan(0.65);
        assertThat(r.final_().mcc()).isGreaterThan(0.3);
        assertThat(r.best().evaluation().accuracy()).isEqualTo(
                r.evaluations().stream().mapToDouble(e -> e.evaluation().accuracy()).max().orElseThrow());
        assertThat(dir.resolve(FineTuner.CHECKPOINTS).resolve("step-00000013")).isDirectory();
        assertThat(dir.resolve(FineTuner.CHECKPOINTS).resolve("step-00000026")).isDirectory();

        AdapterWeights a = CompactFormat.read(r.adapterFile());
        assertThat(a.kind()).isEqualTo(dev.vbank.vblora.format.AdapterKind.HEAD_ONLY);
        assertThat(a.labels()).containsExactly("0", "1");
        assertThat(r.accounting().trainable()).isEqualTo(2 * 384 + 2);
        assertThat(r.accounting().compactBytes()).isEqualTo(Files.size(r.adapterFile()));
    }

    @Test
    void pairClassificationUsesBothSegmentsAndScoresWithAllMetrics(@TempDir Path dir) throws Exception {
        TrainingSpec spec = TrainingSpec.builder(MODEL).method(Method.VBLORA)
                .vblora(TrainingSpec.defaultVblora("all-linear")).maxSteps(4).batchSize(4).maxSeqLength(40)
                .seed(2).build();
        Dataset train = TrainData.sameSentimentPairs(amazon.train(), 16);
        Dataset val = TrainData.sameSentimentPairs(amazon.validation(), 12);
        FineTuneResult r = tuner.run(spec, train, val, dir, FineTuner.RunOptions.defaults());
        Evaluation e = r.final_();
        assertThat(e.examples()).isEqualTo(12);
        assertThat(e.accuracy()).isBetween(0.0, 1.0);
        assertThat(e.macroF1()).isBetween(0.0, 1.0);
        assertThat(e.mcc()).isBetween(-1.0, 1.0);
        assertThat(e.loss()).isPositive();
        assertThat(e.pearson()).isNaN();

        AdapterWeights a = CompactFormat.read(r.adapterFile());
        assertThat(a.kind()).isEqualTo(dev.vbank.vblora.format.AdapterKind.VBLORA);
        assertThat(a.vbloraModules()).hasSize(6 * 6);
        // per layer, b = 128, r = 4: q, k, v, attention.output 4·3 + 3·4 each; intermediate 4·3 + 12·4; output 4·12 + 3·4
        assertThat(r.accounting().subVectors()).isEqualTo(6L * (4 * 24 + 60 + 60));
        assertThat(r.accounting().trainable()).isEqualTo(90L * 128 + r.accounting().subVectors() * 90 + 2 * 384 + 2);
    }

    @Test
    void regressionLowersTheErrorAndReportsCorrelations(@TempDir Path dir) throws Exception {
        TrainingSpec spec = TrainingSpec.builder(MODEL).method(Method.LORA).task(TaskType.REGRESSION)
                .lora(LoraConfig.defaults().withLrHead(3e-2)).epochs(2).batchSize(16).maxSeqLength(32)
                .warmupRatio(0).evalEvery(3).seed(4).build();
        Dataset train = TrainData.asRegression(amazon.train(), 96);
        Dataset val = TrainData.asRegression(amazon.validation(), 48);
        FineTuneResult r = tuner.run(spec, train, val, dir, FineTuner.RunOptions.defaults());
        Evaluation first = r.evaluations().get(0).evaluation();
        assertThat(r.evaluations()).hasSize(4);
        assertThat(r.final_().mse()).isLessThan(first.mse());
        assertThat(r.final_().pearson()).isBetween(-1.0, 1.0);
        assertThat(r.final_().spearman()).isBetween(-1.0, 1.0);
        assertThat(r.final_().accuracy()).isNaN();
        assertThat(CompactFormat.read(r.adapterFile()).head().get("classifier.weight").shape()).containsExactly(1, 384);
    }

    @Test
    void checkpointRoundTripsEveryTensorAndField(@TempDir Path dir) throws Exception {
        Evaluation e = new Evaluation(TaskType.CLASSIFICATION, 3, 0.5, 2 / 3.0, 0.6, 0.3, Double.NaN, Double.NaN,
                Double.NaN);
        Checkpoint.StepEvaluation se = new Checkpoint.StepEvaluation(2, e);
        Checkpoint c = new Checkpoint(2, 4, 0, 4, 9, List.of(0.7f, Float.MIN_VALUE), List.of(se), se,
                FineTuner.specJson(resumeSpec(Method.LORA)),
                Map.of("x.lora_A", Tensor.of(new float[] {1f, -0f, Float.MAX_VALUE}, 1, 3)),
                Map.of("x.lora_A.exp_avg", Tensor.of(new float[] {1e-30f}, 1)),
                Map.of("classifier.bias", Tensor.of(new float[] {3f, 4f}, 2)));
        c.write(dir.resolve("c"));
        c.write(dir.resolve("c")); // overwrite in place
        Checkpoint back = Checkpoint.read(dir.resolve("c"));
        assertThat(back.losses()).containsExactly(0.7f, Float.MIN_VALUE);
        assertThat(back.best()).isEqualTo(se);
        assertThat(back.model()).isEqualTo(c.model());
        assertThat(back.optimizer()).isEqualTo(c.optimizer());
        assertThat(back.bestModel()).isEqualTo(c.bestModel());
        assertThat(back.spec()).isEqualTo(c.spec());
        assertThat(List.of(back.step(), back.microBatches(), (long) back.batchInEpoch(), back.seed()))
                .containsExactly(2L, 4L, 4L, 9L);
        assertThat(Files.list(dir).count()).isEqualTo(1);
    }

    private static List<Integer> bits(List<Float> v) {
        return v.stream().map(Float::floatToRawIntBits).toList();
    }
}

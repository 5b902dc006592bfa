package dev.vbank.text.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.vbank.text.TestDirs;
import dev.vbank.text.data.Dataset;
import dev.vbank.text.data.DatasetSplits;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.tokenize.Padding;
import dev.vbank.text.tokenize.TextTokenizer;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.BankRef;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.Half;
import dev.vbank.vblora.format.SharedBank;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.format.VectorBankFile;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.model.AdapterLoader;
import dev.vbank.vblora.model.ClassificationHead;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link FineTuner#evaluateStored}: a run's adapter written in another precision, read back and scored, on
 * all-MiniLM-L6-v2 and real sentences. The fp32 file scores as the run's own final evaluation; the fp16 file really
 * holds fp16-rounded weights, and its evaluation is what scoring those read-back weights directly gives.
 */
class StoredEvaluationTest {
    private static final String MODEL = "all-minilm-l6-v2";
    private static final CompactFormat.Options FP32 = new CompactFormat.Options(CompactFormat.Precision.F32,
            CompactFormat.Precision.F32, CompactFormat.Precision.F32);
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

    private static TrainingSpec spec(Method method) {
        // a high head lr so the few steps move the head well away from its initialisation
        return TrainingSpec.builder(MODEL).method(method).maxSteps(6).batchSize(8).maxSeqLength(24).warmupRatio(0)
                .headLr(2e-2).seed(9).build();
    }

    @ParameterizedTest
    @EnumSource(value = Method.class, names = {"HEAD_ONLY", "LORA", "VBLORA"})
    void fp32FileScoresAsTheRunAndFp16FileScoresAsItsReadBackWeights(Method method, @TempDir Path dir)
            throws Exception {
        TrainingSpec spec = spec(method);
        Dataset train = TrainData.head(amazon.train(), 48);
        Dataset val = TrainData.head(amazon.validation(), 64);
        FineTuneResult run = tuner.run(spec, train, val, dir.resolve("fp32"),
                FineTuner.RunOptions.defaults().withStorage(FP32));
        AdapterWeights trained = CompactFormat.read(run.adapterFile());
        byte[] fp32File = Files.readAllBytes(run.adapterFile());
        assertThat(CompactFormat.write(trained, FP32)).isEqualTo(fp32File);

        // fp32 storage holds the trained values bit for bit: every metric equals the in-memory final evaluation
        FineTuner.StoredEvaluation fp32 = tuner.evaluateStored(spec, run.adapterFile(), FP32, val);
        assertThat(fp32.evaluation()).isEqualTo(run.final_());
        assertThat(fp32.readBack().head()).isEqualTo(trained.head());

        FineTuner.StoredEvaluation fp16 = tuner.evaluateStored(spec, run.adapterFile(), FineTuner.FP16_STORAGE, val);
        assertThat(fp16.bytes()).isLessThan(Files.size(run.adapterFile()));
        // the read-back weights are the fp16 round-to-nearest-even values of the trained ones, and differ from them
        Tensor head = trained.head().get(ClassificationHead.WEIGHT);
        Tensor head16 = fp16.readBack().head().get(ClassificationHead.WEIGHT);
        assertRoundedToFp16(head, head16);
        switch (method) {
            case LORA -> {
                var m = trained.loraModules().values().iterator().next();
                var m16 = fp16.readBack().loraModules().get(m.path());
                assertRoundedToFp16(m.a(), m16.a());
                assertRoundedToFp16(m.b(), m16.b());
            }
            case VBLORA -> {
                assertRoundedToFp16(trained.vectorBank(), fp16.readBack().vectorBank());
                // logits are kept in fp32
                var m = trained.vbloraModules().values().iterator().next();
                assertThat(fp16.readBack().vbloraModules().get(m.path()).logitsA()).isEqualTo(m.logitsA());
            }
            default -> {
            }
        }
        // the changed weights reached the scores: the test loss moved
        assertThat(fp16.evaluation().loss()).isNotEqualTo(run.final_().loss());
        assertThat(fp16.evaluation().examples()).isEqualTo(val.size());

        // scoring the read-back adapter directly, one row at a time, with argmax and cross-entropy computed here
        double[] direct = scoreRowByRow(fp16.readBack(), val, spec.maxSeqLength());
        assertThat(fp16.evaluation().accuracy()).isEqualTo(direct[0]);
        assertThat(fp16.evaluation().loss()).isCloseTo(direct[1], within(1e-5));

        // by default the same run is stored in fp16: the file is the fp16 rewrite of the fp32 one, and scores as it
        FineTuneResult byDefault = tuner.run(spec, train, val, dir.resolve("default"), FineTuner.RunOptions.defaults());
        byte[] defaultFile = Files.readAllBytes(byDefault.adapterFile());
        assertThat(CompactFormat.write(CompactFormat.read(defaultFile), CompactFormat.Options.TRAINED))
                .isEqualTo(defaultFile);
        assertThat((long) defaultFile.length).isEqualTo(fp16.bytes());
        assertThat(byDefault.final_()).isEqualTo(run.final_());
        assertThat(tuner.evaluate(spec, CompactFormat.read(defaultFile), val)).isEqualTo(fp16.evaluation());

        System.out.printf("%s: fp32 acc %.4f loss %.6f; fp16-stored acc %.4f loss %.6f (direct %.4f / %.6f); "
                        + "%d vs %d bytes%n", method, run.final_().accuracy(), run.final_().loss(),
                fp16.evaluation().accuracy(), fp16.evaluation().loss(), direct[0], direct[1],
                Files.size(run.adapterFile()), fp16.bytes());
    }

    @Test
    void sharedBankAdapterIsAlreadyStoredInFp16AndItsFp32FileScoresAsTheRun(@TempDir Path dir) throws Exception {
        Dataset val = TrainData.head(amazon.validation(), 64);
        TrainingSpec source = spec(Method.VBLORA);
        FineTuneResult first = tuner.run(source, TrainData.head(amazon.train(), 48), null, dir.resolve("source"),
                FineTuner.RunOptions.defaults());
        byte[] bankFile = VectorBankFile.write(CompactFormat.read(first.adapterFile()).vectorBank());
        SharedBank bank = new SharedBank(new BankRef("vbank-test", VectorBankFile.sha256(bankFile)),
                VectorBankFile.read(bankFile));
        TrainingSpec spec = source.toBuilder().sharedBank(bank).seed(10).build();
        Dataset train = new Dataset(amazon.train().task(), amazon.train().labels(), false,
                amazon.train().rows().subList(48, 96));
        FineTuneResult run = tuner.run(spec, train, val, dir.resolve("user"), FineTuner.RunOptions.defaults());

        // stored with fp16 top-k weights and head already: the fp16-stored file is the stored file, scored as stored
        byte[] stored = Files.readAllBytes(run.adapterFile());
        FineTuner.StoredEvaluation fp16 = tuner.evaluateStored(spec, run.adapterFile(), FineTuner.FP16_STORAGE, val);
        assertThat(fp16.bytes()).isEqualTo(stored.length);
        assertThat(fp16.readBack().bankRef()).isEqualTo(bank.ref());
        assertThat(fp16.evaluation()).isEqualTo(tuner.evaluate(spec, CompactFormat.read(stored, bank), val));
        double[] direct = scoreRowByRow(fp16.readBack(), val, spec.maxSeqLength());
        assertThat(fp16.evaluation().accuracy()).isEqualTo(direct[0]);

        // fp32 top-k weights (the last one 1 − Σ of the others) score as the in-memory logits did
        FineTuner.StoredEvaluation fp32 = tuner.evaluateStored(spec, run.adapterFile(), FP32, val);
        assertThat(fp32.bytes()).isGreaterThan(stored.length);
        assertThat(fp32.evaluation().accuracy()).isEqualTo(run.final_().accuracy());
        assertThat(fp32.evaluation().loss()).isCloseTo(run.final_().loss(), within(1e-5));
        System.out.printf("shared bank: in-memory acc %.4f loss %.6f; fp32 file %.4f / %.6f; stored (fp16) %.4f / "
                        + "%.6f%n", run.final_().accuracy(), run.final_().loss(), fp32.evaluation().accuracy(),
                fp32.evaluation().loss(), fp16.evaluation().accuracy(), fp16.evaluation().loss());
    }

    private static void assertRoundedToFp16(Tensor fp32, Tensor fp16) {
        assertThat(fp16.shape()).isEqualTo(fp32.shape());
        float[] expected = new float[fp32.numel()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = Half.toFloat(Half.fromFloat(fp32.data()[i]));
        }
        assertThat(fp16.data()).isEqualTo(expected);
        assertThat(fp16).isNotEqualTo(fp32);
    }

    /** {accuracy, mean cross-entropy} of {@code adapter} on {@code data}, one row per forward pass. */
    private static double[] scoreRowByRow(AdapterWeights adapter, Dataset data, int maxLen) throws Exception {
        BaseModel bm = BaseModels.get(MODEL);
        int[] gold = data.labelIndices();
        int correct = 0;
        double loss = 0;
        int row = 0;
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager();
             TextTokenizer tok = TextTokenizer.forModel(bm, maxLen);
             AdaptedEncoder model = AdapterLoader.load(m, tuner.baseWeights(bm), adapter, FineTuner.poolingOf(bm))) {
            for (Batches.LabeledBatch b : new Batches(FineTuner.withPrefix(data, bm.textPrefix()), tok, 1,
                    Padding.LONGEST).inOrder()) {
                float[] z = model.predict(m, FineTuner.toCoreBatch(b));
                int pred = 0;
                for (int k = 1; k < z.length; k++) {
                    pred = z[k] > z[pred] ? k : pred;
                }
                double max = Math.max(z[0], z[1]);
                double logSum = max + Math.log(Math.exp(z[0] - max) + Math.exp(z[1] - max));
                loss += logSum - z[gold[row]];
                correct += pred == gold[row] ? 1 : 0;
                row++;
            }
        }
        assertThat(row).isEqualTo(data.size());
        return new double[] {(double) correct / row, loss / row};
    }
}

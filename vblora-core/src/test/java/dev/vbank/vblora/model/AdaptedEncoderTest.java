package dev.vbank.vblora.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.TargetModules;
import dev.vbank.vblora.config.VbloraConfig;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.layer.TopkSelection;
import dev.vbank.vblora.layer.VbloraOps;
import dev.vbank.vblora.method.HeadOnlyMethod;
import dev.vbank.vblora.method.LoraMethod;
import dev.vbank.vblora.method.VbloraMethod;
import dev.vbank.vblora.optim.AdamW;
import dev.vbank.vblora.optim.LrSchedule;
import dev.vbank.vblora.train.Trainer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AdaptedEncoderTest {

    private NDManager manager;
    private EncoderWeights base;

    @BeforeEach
    void setUp() {
        manager = Engine.getEngine("PyTorch").newBaseManager();
        base = EncoderWeights.random(manager, TinyModels.SHAPE, 11);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void headOnlyEncoderMatchesPlainJavaBertIncludingPaddingMask() {
        Batch batch = TinyModels.batch(new Random(3), 3, 7, 2);
        double[][][] expected = new ReferenceBert(base).forward(batch);
        try (NDManager step = manager.newSubManager()) {
            base.all().forEach(a -> a.tempAttach(step));
            NDArray ids = step.create(batch.inputIds(), new ai.djl.ndarray.types.Shape(3, 7));
            NDArray mask = step.create(batch.attentionMask(), new ai.djl.ndarray.types.Shape(3, 7));
            NDArray types = step.create(batch.tokenTypeIds(), new ai.djl.ndarray.types.Shape(3, 7));
            float[] ours = BertEncoder.forward(base, Adapter.BASE_ONLY, ids, mask, types).toFloatArray();
            int i = 0;
            double maxErr = 0;
            for (double[][] seq : expected) {
                for (double[] tok : seq) {
                    for (double v : tok) {
                        maxErr = Math.max(maxErr, Math.abs(v - ours[i++]));
                    }
                }
            }
            assertThat(i).isEqualTo(ours.length);
            assertThat(maxErr).as("max abs error vs float64 reference").isLessThan(2e-5);
        }
    }

    @Test
    void targetSpecAndLayersSelectTheAdaptedModules() {
        try (AdaptedEncoder qv = new VbloraMethod(TinyModels.vblora("qv")).create(manager, base, 2, Pooling.MEAN, 1);
             AdaptedEncoder layer1 = new VbloraMethod(TinyModels.vblora("all-linear").withLayersToTransform(List.of(1)))
                     .create(manager, base, 2, Pooling.MEAN, 1);
             AdaptedEncoder regex = new LoraMethod(LoraConfig.defaults()
                     .withTargetModules(TargetModules.parse("regex:.*layer\\.0\\..*dense")))
                     .create(manager, base, 2, Pooling.CLS, 1)) {
            assertThat(qv.adapter().modulePaths()).containsExactly("encoder.layer.0.attention.self.query",
                    "encoder.layer.0.attention.self.value", "encoder.layer.1.attention.self.query",
                    "encoder.layer.1.attention.self.value");
            assertThat(layer1.adapter().modulePaths()).hasSize(6).allMatch(p -> p.startsWith("encoder.layer.1."));
            assertThat(regex.adapter().modulePaths()).containsExactly("encoder.layer.0.attention.output.dense",
                    "encoder.layer.0.intermediate.dense", "encoder.layer.0.output.dense");
        }
        assertThatThrownBy(() -> new VbloraMethod(
                VbloraConfig.builder().numVectors(8).vectorLength(5).targetModules("qv").build())
                .create(manager, base, 2, Pooling.MEAN, 1))
                .hasMessageContaining("vector_length");
    }

    @Test
    void packedCompositionEqualsThePerModuleLayer() {
        try (AdaptedEncoder model = new VbloraMethod(TinyModels.vblora("all-linear"))
                .create(manager, base, 2, Pooling.MEAN, 5)) {
            VbloraAdapter adapter = (VbloraAdapter) model.adapter();
            Map<String, Tensor> state = adapter.exportState();
            NDArray bank = tensor(state.get(VbloraAdapter.BANK));
            for (String path : adapter.modulePaths()) {
                NDArray logitsA = tensor(state.get(VbloraAdapter.logitsAName(path)));
                NDArray logitsB = tensor(state.get(VbloraAdapter.logitsBName(path)));
                try (NDArray expected = VbloraOps.deltaWeight(VbloraOps.composeA(bank, logitsA, 2),
                        VbloraOps.composeB(bank, logitsB, 2)); NDArray ours = adapter.deltaWeight(path)) {
                    assertThat(ours.getShape()).isEqualTo(expected.getShape());
                    assertThat(maxAbs(ours.sub(expected))).as(path).isLessThan(1e-7);
                }
                TopkSelection a = adapter.topkA(path);
                TopkSelection b = adapter.topkB(path);
                assertThat(a.indices()).containsExactly(VbloraOps.topk(logitsA, 2).indices());
                assertThat(b.weights()).containsExactly(VbloraOps.topk(logitsB, 2).weights());
            }
        }
    }

    @Test
    void mergedAndUnmergedOutputsAgreeAndUnmergeRestoresWeights() {
        Random random = new Random(9);
        try (AdaptedEncoder model = new LoraMethod(
                LoraConfig.defaults().withTargetModules(TargetModules.ALL_LINEAR).withDropout(0))
                .create(manager, base, 3, Pooling.CLS, 2);
             AdamW opt = new AdamW(manager, model.parameters(), AdamW.loraGroups(1e-2, 0, 1e-2, 0.01),
                     LrSchedule.constant(), AdamW.Options.defaults())) {
            runMergeCheck(model, opt, random);
        }
        try (AdaptedEncoder model = new VbloraMethod(TinyModels.vblora("all-linear"))
                .create(manager, base, 3, Pooling.MEAN, 2);
             AdamW opt = new AdamW(manager, model.parameters(), AdamW.vbloraGroups(1e-2, 1e-1, 1e-2, 0.01),
                     LrSchedule.constant(), AdamW.Options.defaults())) {
            runMergeCheck(model, opt, random);
        }
    }

    private void runMergeCheck(AdaptedEncoder model, AdamW opt, Random random) {
        Trainer trainer = new Trainer(manager, model, opt);
        for (int i = 0; i < 3; i++) {
            trainer.step(TinyModels.batch(random, 4, 6, 3));
        }
        String somePath = model.adapter().modulePaths().get(0);
        Tensor before = base.toTensor(somePath + ".weight");
        Batch probe = TinyModels.batch(random, 3, 6, 3);
        float[] unmerged = model.predict(manager, probe);
        model.merge();
        Tensor merged = base.toTensor(somePath + ".weight");
        assertThat(relDiff(merged.data(), before.data())).as("merge changed W").isGreaterThan(1e-4);
        float[] mergedOut = model.predict(manager, probe);
        assertThat(relDiff(mergedOut, unmerged)).as(model.adapter().kind() + " merged vs unmerged").isLessThan(1e-5);
        model.unmerge();
        assertThat(relDiff(base.toTensor(somePath + ".weight").data(), before.data())).isLessThanOrEqualTo(1e-6);
        assertThat(relDiff(model.predict(manager, probe), unmerged)).isLessThan(1e-6);
    }

    @Test
    void mergeRefusesNonFiniteDeltaAndLeavesWeightsUntouched() {
        VbloraConfig cfg = TinyModels.vblora("qv");
        Map<String, Tensor> state;
        try (AdaptedEncoder model = new VbloraMethod(cfg).create(manager, base, 2, Pooling.MEAN, 4)) {
            state = new HashMap<>(model.adapter().exportState());
        }
        float[] bank = state.get(VbloraAdapter.BANK).data().clone();
        java.util.Arrays.fill(bank, Float.NaN);
        state.put(VbloraAdapter.BANK, new Tensor(new long[] {8, 8}, bank));
        VbloraAdapter broken = VbloraAdapter.fromState(manager, cfg, base.shape().linearModules(), state);
        try (AdaptedEncoder model = new AdaptedEncoder(base, broken,
                ClassificationHead.create(manager, 16, 2, Pooling.MEAN, 1))) {
            Tensor before = base.toTensor("encoder.layer.0.attention.self.query.weight");
            assertThatThrownBy(model::merge).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not finite").hasMessageContaining("encoder.layer.0.attention.self.query");
            assertThat(base.toTensor("encoder.layer.0.attention.self.query.weight")).isEqualTo(before);
            assertThat(model.isMerged()).isFalse();
        }
    }

    @Test
    void exportedStateRebuildsAnIdenticalModel() {
        VbloraConfig cfg = TinyModels.vblora("all-linear");
        Batch probe = TinyModels.batch(new Random(1), 2, 5, 2);
        try (AdaptedEncoder model = new VbloraMethod(cfg).create(manager, base, 2, Pooling.MEAN, 8)) {
            Map<String, Tensor> state = model.exportState();
            assertThat(state).containsKeys(VbloraAdapter.BANK, ClassificationHead.WEIGHT, ClassificationHead.BIAS,
                    VbloraAdapter.logitsAName("encoder.layer.1.output.dense"));
            assertThat(state.get(VbloraAdapter.logitsBName("encoder.layer.1.intermediate.dense")).shape())
                    .containsExactly(4, 2, 8);
            try (AdaptedEncoder copy = new AdaptedEncoder(base,
                    VbloraAdapter.fromState(manager, cfg, base.shape().linearModules(), state),
                    ClassificationHead.fromState(manager, 16, Pooling.MEAN, state))) {
                assertThat(copy.predict(manager, probe)).containsExactly(model.predict(manager, probe));
            }
        }
        assertThatThrownBy(() -> VbloraAdapter.fromState(manager, cfg, base.shape().linearModules(), Map.of()))
                .hasMessageContaining(VbloraAdapter.BANK);
    }

    @Test
    void badInputIsRejectedNamingTheField() {
        try (AdaptedEncoder model = HeadOnlyMethod.defaults().create(manager, base, 2, Pooling.MEAN, 1)) {
            Batch bad = new Batch(1, 2, new long[] {1, 999}, new long[] {1, 1}, null, new float[] {0});
            assertThatThrownBy(() -> model.predict(manager, bad)).hasMessageContaining("input_ids[1]");
            assertThat(model.parameters()).extracting(TrainableParameter::group).containsOnly(ParamGroup.HEAD);
        }
        assertThatThrownBy(() -> new Batch(2, 2, new long[3], new long[4], null, null))
                .hasMessageContaining("input_ids");
    }

    private NDArray tensor(Tensor t) {
        return manager.create(t.data(), new ai.djl.ndarray.types.Shape(t.shape()));
    }

    private static double maxAbs(NDArray a) {
        double m = 0;
        for (float v : a.toFloatArray()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    static double relDiff(float[] a, float[] b) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            diff += (a[i] - (double) b[i]) * (a[i] - (double) b[i]);
            norm += (double) b[i] * b[i];
        }
        return Math.sqrt(diff) / Math.sqrt(norm);
    }
}

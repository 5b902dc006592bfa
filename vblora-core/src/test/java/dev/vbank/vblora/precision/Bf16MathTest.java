package dev.vbank.vblora.precision;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import dev.vbank.vblora.layer.Init;
import dev.vbank.vblora.method.VbloraMethod;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.model.Batch;
import dev.vbank.vblora.model.EncoderWeights;
import dev.vbank.vblora.model.Pooling;
import dev.vbank.vblora.model.TinyModels;
import dev.vbank.vblora.optim.AdamW;
import dev.vbank.vblora.optim.LrSchedule;
import dev.vbank.vblora.train.Trainer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class Bf16MathTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = Engine.getEngine("PyTorch").newBaseManager();
        boolean built = NativeCasts.class.getResource(NativeCasts.RESOURCE) != null;
        Assumptions.assumeTrue(built, "skipped: this build has no " + NativeCasts.RESOURCE + " (no g++ when it was built)");
        assertThat(NativeCasts.unavailableReason()).as("the library is in the build, so bf16 must bind").isEmpty();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void roundTripThroughBf16RoundsEachValueToNearestEven() {
        float[] values = {1f, -2.5f, 3.14159265f, 1e-3f, 65504f, 1.00390625f, 1.01171875f, -7.3e-8f, 0f};
        float[] back = NativeCasts.toFp32(NativeCasts.toBf16(manager.create(values))).toFloatArray();
        for (int i = 0; i < values.length; i++) {
            assertThat(back[i]).as("value " + values[i]).isEqualTo(bf16RoundNearestEven(values[i]));
        }
        assertThat(back[0]).isEqualTo(1f);
        assertThat(back[2]).isNotEqualTo(values[2]);
    }

    @Test
    void linearMatchesFp32WithinBf16ErrorAndGradientsReachFp32Inputs() {
        Random random = new Random(3);
        NDArray x = manager.create(Init.normal(random, 64 * 96, 1.0), new Shape(64, 96));
        NDArray w = manager.create(Init.normal(random, 48 * 96, 0.1), new Shape(48, 96));
        NDArray bias = manager.create(Init.normal(random, 48, 0.1));
        float[] fp32 = Linear.linear(x, w, bias).singletonOrThrow().toFloatArray();
        x.setRequiresGradient(true);
        try (BaseMath math = BaseMath.open(Precision.BF16, manager);
             GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray activation = math.linear(x, w, bias);
            assertThat(activation.getDataType()).as("a bf16 activation").isNotEqualTo(DataType.FLOAT32);
            assertThat(math.linear(activation.get(new NDIndex(":, :48")).reshape(32, 96), w, bias).getShape())
                    .as("a bf16 activation feeds the next layer as it is").isEqualTo(new Shape(32, 48));
            NDArray y = math.fp32(activation);
            assertThat(y.getDataType()).isEqualTo(DataType.FLOAT32);
            assertThat(math.fp32(y)).as("fp32 stays as it is").isSameAs(y);
            float[] bf16 = y.toFloatArray();
            double maxDiff = 0;
            for (int i = 0; i < fp32.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(bf16[i] - fp32[i]));
            }
            // |x·w| sums 96 products of size ~0.1: bf16's 8-bit mantissa leaves errors of order 1e-2, never 0
            assertThat(maxDiff).isGreaterThan(0).isLessThan(0.1);
            collector.backward(y.sum());
            float[] grad = x.getGradient().toFloatArray();
            float[] expected = w.sum(new int[] {0}).toFloatArray();
            for (int i = 0; i < grad.length; i++) {
                assertThat(grad[i]).isCloseTo(expected[i % 96], within(0.05f));
            }
        }
    }

    @Test
    void attentionMatchesTheFormulaOpByOpInFp32AndWithinBf16ErrorInBf16() {
        Random random = new Random(7);
        Shape heads = new Shape(2, 3, 5, 8);
        NDArray q = manager.create(Init.normal(random, (int) heads.size(), 1.0), heads);
        NDArray k = manager.create(Init.normal(random, (int) heads.size(), 1.0), heads);
        NDArray v = manager.create(Init.normal(random, (int) heads.size(), 1.0), heads);
        // sequence 0 attends to all 5 keys, sequence 1 to the first 3
        NDArray mask = manager.create(new float[] {0, 0, 0, 0, 0, 0, 0, 0, -1e9f, -1e9f}, new Shape(2, 1, 1, 5));
        float scale = (float) (1 / Math.sqrt(8));
        float[][] reference = attentionAndGradients(null, q, k, v, scale, mask);
        try (BaseMath fp32 = BaseMath.open(Precision.FP32, manager)) {
            float[][] fp32Math = attentionAndGradients(fp32, q, k, v, scale, mask);
            for (int i = 0; i < reference.length; i++) {
                assertThat(maxAbsDiff(fp32Math[i], reference[i])).as("fp32 output/gradient " + i).isLessThan(1e-5);
            }
        }
        try (BaseMath bf16 = BaseMath.open(Precision.BF16, manager)) {
            float[][] rounded = attentionAndGradients(bf16, q, k, v, scale, mask);
            for (int i = 0; i < reference.length; i++) {
                // inputs of size ~1 rounded to 8 mantissa bits: errors of order 1e-2, never 0
                assertThat(maxAbsDiff(rounded[i], reference[i])).as("bf16 output/gradient " + i)
                        .isGreaterThan(0).isLessThan(0.05);
            }
            NDArray vMasked = v.duplicate();
            vMasked.set(new NDIndex("1, :, 3:, :"), 1e3f);
            NDArray context = bf16.attention(q, k.transpose(0, 1, 3, 2), vMasked, scale, mask);
            assertThat(bf16.fp32(context).toFloatArray()).as("masked keys' values never reach the context")
                    .containsExactly(rounded[0]);
        }
    }

    /** Context, then the gradients of its sum of squares for q, k, v; {@code math} null: the formula op by op. */
    private float[][] attentionAndGradients(BaseMath math, NDArray q, NDArray k, NDArray v, float scale,
                                            NDArray mask) {
        try (NDManager scope = manager.newSubManager();
             GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray[] inputs = {q.duplicate(), k.duplicate(), v.duplicate()};
            for (NDArray input : inputs) {
                input.attach(scope);
                input.setRequiresGradient(true);
            }
            NDArray context = math == null
                    ? inputs[0].mul(scale).matMul(inputs[1].transpose(0, 1, 3, 2)).add(mask).softmax(-1)
                            .matMul(inputs[2])
                    : math.fp32(math.attention(inputs[0], inputs[1].transpose(0, 1, 3, 2), inputs[2], scale,
                            mask));
            float[] values = context.toFloatArray();
            collector.backward(context.square().sum());
            return new float[][] {values, inputs[0].getGradient().toFloatArray(),
                    inputs[1].getGradient().toFloatArray(), inputs[2].getGradient().toFloatArray()};
        }
    }

    private static double mean(float[] values, int from, int count) {
        double sum = 0;
        for (int i = from; i < from + count; i++) {
            sum += values[i];
        }
        return sum / count;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    @Test
    void bf16TrainingTracksFp32AndEvaluationStaysFp32() {
        EncoderWeights base = EncoderWeights.random(manager, TinyModels.SHAPE, 21);
        float[] fp32Losses = train(base, Precision.FP32);
        float[] bf16Losses = train(base, Precision.BF16);
        assertThat(bf16Losses).isNotEqualTo(fp32Losses);
        for (int i = 0; i < 10; i++) {
            assertThat(bf16Losses[i]).as("loss at step " + i).isCloseTo(fp32Losses[i], within(2e-3f));
        }
        // later the runs drift apart as training amplifies rounding differences, and single-batch losses near
        // convergence spike (fp32 itself: 0.12 between two 0.06 steps), so compare 5-step means
        for (int start = 10; start < fp32Losses.length; start += 5) {
            assertThat(mean(bf16Losses, start, 5)).as("mean loss of steps " + start + ".." + (start + 4))
                    .isCloseTo(mean(fp32Losses, start, 5), within(0.03));
        }
        assertThat(bf16Losses[bf16Losses.length - 1]).isLessThan(bf16Losses[0] * 0.7f);
        try (AdaptedEncoder model = new VbloraMethod(TinyModels.vblora("all-linear"))
                .create(manager, base, 2, Pooling.MEAN, 3)) {
            Batch batch = TinyModels.separableBatch(new Random(8), 8, 8);
            float[] before = model.predict(manager, batch);
            model.trainIn(Precision.BF16, manager);
            assertThat(model.predict(manager, batch)).as("evaluation after trainIn(BF16)").containsExactly(before);
        }
    }

    private float[] train(EncoderWeights base, Precision precision) {
        Trainer.seed(5);
        try (AdaptedEncoder model = new VbloraMethod(TinyModels.vblora("all-linear"))
                .create(manager, base, 2, Pooling.MEAN, 3);
             AdamW opt = new AdamW(manager, model.parameters(), AdamW.vbloraGroups(1e-2, 5e-2, 1e-2, 0.01),
                     LrSchedule.constant(), AdamW.Options.defaults())) {
            model.trainIn(precision, manager);
            Trainer trainer = new Trainer(manager, model, opt);
            Random random = new Random(4);
            float[] losses = new float[40];
            for (int i = 0; i < losses.length; i++) {
                losses[i] = trainer.step(TinyModels.separableBatch(random, 16, 8)).loss();
            }
            return losses;
        }
    }

    private static float bf16RoundNearestEven(float v) {
        int bits = Float.floatToRawIntBits(v);
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(rounded & 0xFFFF0000);
    }
}

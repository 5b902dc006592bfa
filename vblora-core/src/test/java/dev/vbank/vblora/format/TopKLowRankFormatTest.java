package dev.vbank.vblora.format;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.vbank.vblora.format.FormatFixtures.maxAbsDiff;
import static dev.vbank.vblora.format.FormatFixtures.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopKLowRankFormatTest {

    @Test
    void topkPicksLargestInDescendingOrderWithSoftmaxWeights() {
        float[] logits = {0.1f, 2.0f, -1.0f, 1.5f, 2.0f, 0.0f};
        TopK t = TopK.fromLogits(Tensor.of(logits, 1, 2, 3), 2);
        // sub-vector 0: logits 0.1, 2.0, -1.0 → indices 1, 0
        assertThat(t.index(0, 0, 0)).isEqualTo(1);
        assertThat(t.index(0, 0, 1)).isEqualTo(0);
        double e = Math.exp(0.1 - 2.0);
        assertThat((double) t.weight(0, 0, 0)).isCloseTo(1 / (1 + e), org.assertj.core.data.Offset.offset(1e-7));
        // sub-vector 1: 1.5, 2.0, 0.0 → indices 1, 0
        assertThat(t.index(0, 1, 0)).isEqualTo(1);
        assertThat(t.index(0, 1, 1)).isEqualTo(0);
        assertThat(t.weight(0, 1, 1)).isEqualTo(1f - t.weight(0, 1, 0));
    }

    @Test
    void tiesGoToTheLowerIndex() {
        TopK t = TopK.fromLogits(Tensor.of(new float[]{1f, 3f, 3f, 3f}, 1, 1, 4), 2);
        assertThat(t.index(0, 0, 0)).isEqualTo(1);
        assertThat(t.index(0, 0, 1)).isEqualTo(2);
        assertThat(t.weight(0, 0, 0)).isEqualTo(0.5f);
    }

    @Test
    void lastWeightIsOneMinusTheOthers() {
        TopK t = TopK.fromLogits(random(new Random(3), 1.0, 3, 4, 20), 4);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                float sum = 0;
                for (int q = 0; q < 3; q++) {
                    sum += t.weight(i, j, q);
                    assertThat(t.weight(i, j, q)).isGreaterThanOrEqualTo(t.weight(i, j, q + 1) - 1e-7f);
                }
                assertThat(t.weight(i, j, 3)).isEqualTo(1f - sum);
            }
        }
        assertThat(TopK.of(3, 4, 4, 20, t.indices(), t.leadingWeights())).isEqualTo(t);
    }

    @Test
    void storedFormIsValidated() {
        assertThatThrownBy(() -> TopK.of(1, 1, 2, 4, new int[]{0, 4}, new float[]{0.5f}))
                .hasMessageContaining("outside the bank");
        assertThatThrownBy(() -> TopK.of(1, 1, 2, 4, new int[]{2, 2}, new float[]{0.5f}))
                .hasMessageContaining("repeated");
        assertThatThrownBy(() -> TopK.of(1, 1, 2, 4, new int[]{0, 1}, new float[]{0.5f, 0.5f}))
                .hasMessageContaining("top-k weights");
    }

    @Test
    void composeMatchesPeftLayoutReference() {
        Random rnd = new Random(11);
        int h = 10;
        int b = 4;
        int r = 3;
        int k = 3;
        Tensor bank = random(rnd, 0.5, h, b);
        Tensor la = random(rnd, 1.0, r, 5, h);   // in = 20
        Tensor lb = random(rnd, 1.0, 2, r, h);   // out = 8
        Tensor a = LowRank.composeA(TopK.fromLogits(la, k), bank);
        Tensor bm = LowRank.composeB(TopK.fromLogits(lb, k), bank);
        assertThat(a.shape()).containsExactly(r, 20);
        assertThat(bm.shape()).containsExactly(8, r);
        assertThat(maxAbsDiff(a, FormatFixtures.referenceA(la, bank, k))).isLessThan(1e-6);
        assertThat(maxAbsDiff(bm, FormatFixtures.referenceB(lb, bank, k))).isLessThan(1e-6);

        Tensor delta = LowRank.delta(a, bm, 2f);
        double expect = 0;
        for (int q = 0; q < r; q++) {
            expect += bm.get(5, q) * a.get(q, 17);
        }
        assertThat((double) delta.get(5, 17)).isCloseTo(2 * expect, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void halfPrecisionConversion() {
        assertThat(Half.toFloat(Half.fromFloat(1f))).isEqualTo(1f);
        assertThat(Half.fromFloat(65504f)).isEqualTo((short) 0x7bff);
        assertThat(Half.toFloat(Half.fromFloat(70000f))).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Half.toFloat(Half.fromFloat(Float.NaN))).isNaN();
        assertThat(Half.toFloat(Half.fromFloat(-2.5f))).isEqualTo(-2.5f);
        assertThat(Half.toFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(Half.fromFloat(0x1p-24f)).isEqualTo((short) 0x0001);
        // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties to even → 1
        assertThat(Half.toFloat(Half.fromFloat(1f + 0x1p-11f))).isEqualTo(1f);
        assertThat(Half.toFloat(Half.fromFloat(1f + 0x1p-11f + 0x1p-20f))).isEqualTo(1f + 0x1p-10f);
        Random rnd = new Random(5);
        for (int i = 0; i < 10_000; i++) {
            float f = (float) (rnd.nextGaussian() * 10);
            float back = Half.round(f);
            assertThat(Math.abs(back - f)).isLessThanOrEqualTo(Math.abs(f) * 0x1p-11f + 0x1p-25f);
        }
        for (int bits = 0; bits < 0x7c00; bits++) {
            assertThat(Half.fromFloat(Half.toFloat((short) bits))).isEqualTo((short) bits);
        }
    }
}

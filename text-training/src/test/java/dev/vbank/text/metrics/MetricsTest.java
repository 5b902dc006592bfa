package dev.vbank.text.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Every expected value is worked out by hand in the comments. */
class MetricsTest {
    private static final double EPS = 1e-12;

    // binary case: pairs (gold, pred) = (1,1) (1,0) (1,1) (0,0) (0,1) (0,0) (0,0) (1,1)
    // → TP = 3 (rows 0,2,7), FN = 1 (row 1), FP = 1 (row 4), TN = 3 (rows 3,5,6)
    private static final int[] GOLD_BIN = {1, 1, 1, 0, 0, 0, 0, 1};
    private static final int[] PRED_BIN = {1, 0, 1, 0, 1, 0, 0, 1};

    // 3 classes: cm[gold][pred] = gold 0 → {0:1, 1:1}, gold 1 → {1:2}, gold 2 → {2:1, 0:1}
    private static final int[] GOLD_3 = {0, 0, 1, 1, 2, 2};
    private static final int[] PRED_3 = {0, 1, 1, 1, 2, 0};

    @Test
    void accuracy() {
        assertThat(Metrics.accuracy(PRED_BIN, GOLD_BIN)).isCloseTo(6.0 / 8, within(EPS)); // TP + TN = 6 of 8
        assertThat(Metrics.accuracy(PRED_3, GOLD_3)).isCloseTo(4.0 / 6, within(EPS)); // diagonal 1 + 2 + 1
    }

    @Test
    void macroF1() {
        // class 1: 2·3 / (2·3 + FP 1 + FN 1) = 6/8; class 0 (TP 3, FP 1, FN 1) also 6/8 → mean 0.75
        assertThat(Metrics.macroF1(PRED_BIN, GOLD_BIN, 2)).isCloseTo(0.75, within(EPS));
        // class 0: TP 1, gold 2, predicted 2 → 2/4; class 1: TP 2, gold 2, predicted 3 → 4/5;
        // class 2: TP 1, gold 2, predicted 1 → 2/3; mean = (1/2 + 4/5 + 2/3) / 3
        assertThat(Metrics.macroF1(PRED_3, GOLD_3, 3)).isCloseTo((0.5 + 0.8 + 2.0 / 3) / 3, within(EPS));
        // a class absent from gold and predictions is left out of the average: classes 0,1 of 4 → same as binary
        assertThat(Metrics.macroF1(PRED_BIN, GOLD_BIN, 4)).isCloseTo(0.75, within(EPS));
    }

    @Test
    void matthewsBinaryAndMulticlass() {
        // binary: (TP·TN − FP·FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (9 − 1) / sqrt(4·4·4·4) = 8/16
        assertThat(Metrics.matthews(PRED_BIN, GOLD_BIN, 2)).isCloseTo(0.5, within(EPS));
        // multiclass: s = 6, c = 4, predicted counts p = (2,3,1), true counts t = (2,2,2)
        // Σ p·t = 4 + 6 + 2 = 12, Σ p² = 4 + 9 + 1 = 14, Σ t² = 12
        // (c·s − Σpt) / sqrt((s² − Σp²)(s² − Σt²)) = (24 − 12) / sqrt(22 · 24)
        assertThat(Metrics.matthews(PRED_3, GOLD_3, 3)).isCloseTo(12 / Math.sqrt(22 * 24), within(EPS));
        // perfect = 1, inverted binary = −1, constant prediction = 0 (undefined → 0)
        assertThat(Metrics.matthews(GOLD_BIN, GOLD_BIN, 2)).isCloseTo(1, within(EPS));
        int[] inverted = new int[GOLD_BIN.length];
        for (int i = 0; i < inverted.length; i++) {
            inverted[i] = 1 - GOLD_BIN[i];
        }
        assertThat(Metrics.matthews(inverted, GOLD_BIN, 2)).isCloseTo(-1, within(EPS));
        assertThat(Metrics.matthews(new int[8], GOLD_BIN, 2)).isZero();
    }

    @Test
    void pearsonAndSpearmanWithTies() {
        double[] x = {1, 2, 3, 4, 5};
        double[] y = {2, 4, 5, 4, 5};
        // dx = (−2,−1,0,1,2), dy = y − 4 = (−2,0,1,0,1): Σdxdy = 4+0+0+0+2 = 6, Σdx² = 10, Σdy² = 6
        assertThat(Metrics.pearson(x, y)).isCloseTo(6 / Math.sqrt(10 * 6), within(EPS));
        // ranks of y: 2 → 1, the two 4s share (2+3)/2 = 2.5, the two 5s share (4+5)/2 = 4.5
        assertThat(Metrics.ranks(y)).containsExactly(1, 2.5, 4.5, 2.5, 4.5);
        // rank deviations from mean 3: (−2,−0.5,1.5,−0.5,1.5): Σdxdy = 4+0.5+0−0.5+3 = 7, Σdy² = 4+.25+2.25+.25+2.25 = 9
        assertThat(Metrics.spearman(x, y)).isCloseTo(7 / Math.sqrt(10 * 9), within(EPS));
        // monotone but non-linear: Spearman 1, Pearson below 1
        double[] cubes = {1, 8, 27, 64, 125};
        assertThat(Metrics.spearman(x, cubes)).isCloseTo(1, within(EPS));
        assertThat(Metrics.pearson(x, cubes)).isLessThan(0.99);
        assertThat(Metrics.pearson(x, new double[] {3, 3, 3, 3, 3})).isNaN();
    }

    @Test
    void crossEntropyAndMse() {
        // row 1: log(e² + e⁰) − 2 = log(1 + e⁻²); row 2: log(e⁰ + e⁰) − 0 = log 2
        double expected = (Math.log(1 + Math.exp(-2)) + Math.log(2)) / 2;
        assertThat(Metrics.crossEntropy(new double[][] {{2, 0}, {0, 0}}, new int[] {0, 1})).isCloseTo(expected, within(EPS));
        // three classes, gold 2: log(e¹ + e² + e³) − 3 = log(1 + e⁻¹ + e⁻²)
        assertThat(Metrics.crossEntropy(new double[][] {{1, 2, 3}}, new int[] {2}))
                .isCloseTo(Math.log(1 + Math.exp(-1) + Math.exp(-2)), within(EPS));
        // huge logits stay finite: log(e¹⁰⁰⁰ + e⁰) − 0 = 1000 + log(1 + e⁻¹⁰⁰⁰) = 1000
        assertThat(Metrics.crossEntropy(new double[][] {{1000, 0}}, new int[] {1})).isCloseTo(1000, within(1e-9));
        // (1 − 1.5)² + (2 − 2)² + (3 − 5)² = 0.25 + 0 + 4 → / 3
        assertThat(Metrics.mse(new double[] {1, 2, 3}, new double[] {1.5, 2, 5})).isCloseTo(4.25 / 3, within(EPS));
        assertThat(Metrics.argmax(new double[][] {{0.1, 0.7, 0.2}, {5, 5, 1}})).containsExactly(1, 0);
    }

    @Test
    void rejectsMismatchedOrOutOfRangeInput() {
        assertThatThrownBy(() -> Metrics.accuracy(new int[] {1}, new int[] {1, 0})).hasMessageContaining("1 entries, gold has 2");
        assertThatThrownBy(() -> Metrics.macroF1(new int[] {3}, new int[] {0}, 2)).hasMessageContaining("predicted class 3 at row 0");
        assertThatThrownBy(() -> Metrics.mse(new double[0], new double[0])).hasMessageContaining("no examples");
    }
}

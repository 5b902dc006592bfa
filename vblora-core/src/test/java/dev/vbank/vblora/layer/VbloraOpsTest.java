package dev.vbank.vblora.layer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VbloraOpsTest {

    @Test
    void composedRowsAreConvexMixturesOfTheSelectedBankVectors() {
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            Random random = new Random(1);
            int h = 300;
            int b = 4;
            NDArray bank = m.create(Init.uniform(random, (long) h * b, 0.02), new Shape(h, b));
            // in 8, out 12, r 2, k 3: logits_A (2, 8/b, h), logits_B (12/b, 2, h)
            NDArray logitsA = m.create(Init.normal(random, 2L * 2 * h, 0.1f), new Shape(2, 2, h));
            NDArray logitsB = m.create(Init.normal(random, 3L * 2 * h, 0.1f), new Shape(3, 2, h));
            float[] a = VbloraOps.composeA(bank, logitsA, 3).toFloatArray();
            TopkSelection sel = VbloraOps.topk(logitsA, 3);
            float[] bankData = bank.toFloatArray();
            assertThat(sel.shape()).containsExactly(2, 2, 3);
            for (int sub = 0; sub < sel.numSubvectors(); sub++) {
                float total = 0;
                for (int j = 0; j < 3; j++) {
                    total += sel.weights()[sub * 3 + j];
                    if (j > 0) {
                        assertThat(sel.weights()[sub * 3 + j]).isLessThanOrEqualTo(sel.weights()[sub * 3 + j - 1]);
                    }
                }
                assertThat(total).isCloseTo(1f, org.assertj.core.api.Assertions.within(1e-6f));
                for (int c = 0; c < b; c++) {
                    double expected = 0;
                    for (int j = 0; j < 3; j++) {
                        expected += sel.weights()[sub * 3 + j] * bankData[(int) sel.indices()[sub * 3 + j] * b + c];
                    }
                    // A (r, in) row-major is exactly the sub-vectors (r, in/b) laid end to end
                    assertThat((double) a[sub * b + c]).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-7));
                }
            }
            assertThat(VbloraOps.composeB(bank, logitsB, 3).getShape()).isEqualTo(new Shape(12, 2));
        }
    }

    @Test
    void invalidShapesNameTheField() {
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            NDArray bank = m.zeros(new Shape(6, 4));
            assertThatThrownBy(() -> VbloraOps.compose(bank, m.zeros(new Shape(3, 6)), 7))
                    .hasMessageStartingWith("topk");
            assertThatThrownBy(() -> VbloraOps.composeB(bank, m.zeros(new Shape(3, 6)), 2))
                    .hasMessageStartingWith("logits_B");
            assertThatThrownBy(() -> VbloraOps.compose(bank, m.zeros(new Shape(3, 8)), 2))
                    .hasMessageContaining("number of bank vectors");
        }
    }
}

package dev.vbank.vblora.layer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VbloraLinearTest {

    @Test
    void composedRowsAreConvexMixturesOfTheSelectedBankVectors() {
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            Random random = new Random(1);
            int h = 300;
            int b = 4;
            NDArray bank = m.create(Init.uniform(random, (long) h * b, 0.02), new Shape(h, b));
            VbloraLinear layer = VbloraLinear.create(m, 8, 12, 2, b, h, 3, 0.1f, random);
            float[] a = layer.composeA(bank).toFloatArray();
            TopkSelection sel = layer.topkA();
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
            assertThat(layer.composeB(bank).getShape()).isEqualTo(new Shape(12, 2));
        }
    }

    @Test
    void invalidShapesNameTheField() {
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            Random random = new Random(1);
            assertThatThrownBy(() -> VbloraLinear.create(m, 10, 8, 2, 4, 8, 2, 0.1f, random))
                    .hasMessageStartingWith("in_features");
            assertThatThrownBy(() -> VbloraLinear.create(m, 8, 8, 2, 4, 8, 9, 0.1f, random))
                    .hasMessageStartingWith("topk");
            assertThatThrownBy(() -> VbloraLinear.of(m.zeros(new Shape(2, 2, 8)), m.zeros(new Shape(2, 3, 8)), 4, 2))
                    .hasMessageStartingWith("logits_B");
            NDArray bank = m.zeros(new Shape(6, 4));
            assertThatThrownBy(() -> VbloraOps.compose(bank, m.zeros(new Shape(3, 8)), 2))
                    .hasMessageContaining("number of bank vectors");
        }
    }
}

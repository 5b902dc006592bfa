package dev.vbank.text.bench;

import dev.vbank.text.model.BaseModels;
import dev.vbank.text.train.Method;
import dev.vbank.text.train.TrainingSpec;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class TwinBenchmarkTest {

    @Test
    void examplesPerSecondCountOnlyTheStepsAfterTheWarmUp() {
        // two slow warm-up steps, then three steps of 0.5, 1.0 and 0.5 s with 16 rows each: 48 rows in 2 s
        TwinBenchmark.Run r = TwinBenchmark.timed("engine", "vblora", 0, 2, new double[] {9, 7, 0.5, 1.0, 0.5}, 16,
                new float[] {0.7f});
        assertThat(r.examplesPerSecond()).isCloseTo(24.0, within(1e-9));
        assertThat(r.medianStepMs()).isCloseTo(500.0, within(1e-9));
    }

    @Test
    void bothMethodsTrainTheSameModulesWithoutDropoutSoTheTwinCanFollowStepForStep() {
        var bm = BaseModels.get("all-minilm-l6-v2");
        TrainingSpec vb = TwinBenchmark.spec(bm, "vblora", "qv", 12, 16, 128);
        TrainingSpec lora = TwinBenchmark.spec(bm, "lora", "qv", 12, 16, 128);
        assertThat(vb.method()).isEqualTo(Method.VBLORA);
        assertThat(lora.method()).isEqualTo(Method.LORA);
        assertThat(lora.lora().r()).isEqualTo(8);
        assertThat(vb.vblora().dropout()).isZero();
        assertThat(lora.lora().dropout()).isZero();
        assertThat(vb.vblora().targetModules()).isEqualTo(lora.lora().targetModules());
        assertThat(vb.maxSteps()).isEqualTo(12);
        assertThat(vb.seed()).isEqualTo(lora.seed());
        assertThatThrownBy(() -> TwinBenchmark.spec(bm, "head_only", "qv", 12, 16, 128))
                .hasMessageContaining("vblora or lora");
    }

    @Test
    void medianOfAnEvenCountIsTheMeanOfTheMiddlePair() {
        assertThat(dev.vbank.vblora.bench.BenchArgs.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
        assertThat(dev.vbank.vblora.bench.BenchArgs.median(new double[] {5, 1, 3})).isEqualTo(3.0);
    }
}

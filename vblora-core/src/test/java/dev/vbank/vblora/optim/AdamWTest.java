package dev.vbank.vblora.optim;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.vbank.vblora.model.ParamGroup;
import dev.vbank.vblora.model.TrainableParameter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class AdamWTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = Engine.getEngine("PyTorch").newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void schedulesFollowWarmupThenDecay() {
        LrSchedule linear = LrSchedule.linear(4, 20);
        assertThat(linear.factor(0)).isEqualTo(0.0);
        assertThat(linear.factor(2)).isEqualTo(0.5);
        assertThat(linear.factor(4)).isEqualTo(1.0);
        assertThat(linear.factor(12)).isCloseTo(0.5, within(1e-12));
        assertThat(linear.factor(20)).isEqualTo(0.0);
        assertThat(linear.factor(25)).isEqualTo(0.0);
        LrSchedule cosine = LrSchedule.cosine(0, 10);
        assertThat(cosine.factor(0)).isEqualTo(1.0);
        assertThat(cosine.factor(5)).isCloseTo(0.5, within(1e-12));
        assertThat(cosine.factor(10)).isCloseTo(0.0, within(1e-12));
        assertThat(LrSchedule.constant().factor(1000)).isEqualTo(1.0);
        assertThatThrownBy(() -> LrSchedule.linear(30, 20)).hasMessageContaining("warmup_steps");
    }

    /** Two groups with different lr / weight decay against the textbook AdamW recurrence in double precision. */
    @Test
    void updatesMatchAdamWPerGroupAndZeroTheGradients() {
        NDArray bank = manager.create(new float[] {0.5f, -1.0f});
        NDArray head = manager.create(new float[] {2.0f});
        bank.setRequiresGradient(true);
        head.setRequiresGradient(true);
        Map<ParamGroup, GroupSettings> groups = new EnumMap<>(ParamGroup.class);
        groups.put(ParamGroup.VECTOR_BANK, new GroupSettings(0.1, 0));
        groups.put(ParamGroup.HEAD, new GroupSettings(0.05, 0.2));
        LrSchedule schedule = LrSchedule.linear(1, 5);
        double[] p = {0.5, -1.0, 2.0};
        double[] lr = {0.1, 0.1, 0.05};
        double[] wd = {0, 0, 0.2};
        double[] m = new double[3];
        double[] v = new double[3];
        try (AdamW opt = new AdamW(manager, List.of(new TrainableParameter("bank", bank, ParamGroup.VECTOR_BANK),
                new TrainableParameter("head", head, ParamGroup.HEAD)), groups, schedule,
                new AdamW.Options(0.9, 0.999, 1e-8, 0))) {
            for (int t = 1; t <= 4; t++) {
                // loss = sum(bank^2) + 3 * head  →  grads 2·bank and 3
                try (NDManager step = manager.newSubManager()) {
                    bank.tempAttach(step);
                    head.tempAttach(step);
                    try (GradientCollector c = Engine.getEngine("PyTorch").newGradientCollector()) {
                        c.backward(bank.square().sum().add(head.mul(3).sum()));
                    }
                    AdamW.StepStats stats = opt.step(step);
                    double[] g = {2 * p[0], 2 * p[1], 3};
                    assertThat(stats.gradNorm()).isCloseTo(Math.sqrt(g[0] * g[0] + g[1] * g[1] + 9), within(1e-5));
                    double factor = schedule.factor(t - 1);
                    for (int i = 0; i < 3; i++) {
                        m[i] = 0.9 * m[i] + 0.1 * g[i];
                        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
                        double l = lr[i] * factor;
                        p[i] *= 1 - l * wd[i];
                        p[i] -= l * (m[i] / (1 - Math.pow(0.9, t))) / (Math.sqrt(v[i] / (1 - Math.pow(0.999, t))) + 1e-8);
                    }
                    try (NDArray gb = bank.getGradient(); NDArray gh = head.getGradient()) {
                        assertThat(gb.toFloatArray()).containsExactly(0f, 0f);
                        assertThat(gh.toFloatArray()).containsExactly(0f);
                    }
                }
                assertThat(bank.toFloatArray()[0]).isCloseTo((float) p[0], within(5e-6f));
                assertThat(bank.toFloatArray()[1]).isCloseTo((float) p[1], within(5e-6f));
                assertThat(head.toFloatArray()[0]).isCloseTo((float) p[2], within(5e-6f));
            }
            assertThat(opt.stepCount()).isEqualTo(4);
            assertThat(opt.exportState()).containsKeys("bank.exp_avg", "head.exp_avg_sq");
        }
    }

    @Test
    void clippingScalesToTheGlobalNorm() {
        NDArray w = manager.create(new float[] {0f, 0f});
        w.setRequiresGradient(true);
        Map<ParamGroup, GroupSettings> groups = Map.of(ParamGroup.LORA, new GroupSettings(1e-3, 0));
        try (AdamW opt = new AdamW(manager, List.of(new TrainableParameter("w", w, ParamGroup.LORA)), groups,
                LrSchedule.constant(), new AdamW.Options(0.9, 0.999, 1e-8, 1.0));
             NDManager step = manager.newSubManager()) {
            w.tempAttach(step);
            NDArray target = step.create(new float[] {3f, 4f});
            try (GradientCollector c = Engine.getEngine("PyTorch").newGradientCollector()) {
                c.backward(w.mul(target).sum()); // gradient (3, 4), norm 5
            }
            AdamW.StepStats stats = opt.step(step);
            assertThat(stats.gradNorm()).isCloseTo(5.0, within(1e-6));
            assertThat(stats.clipped()).isTrue();
            // first Adam step moves each coordinate by lr·sign(g) whatever the scale; the moment shows the clipping
            float[] m = opt.exportState().get("w.exp_avg").data();
            assertThat(m[0]).isCloseTo(0.1f * 3f / 5f, within(5e-6f));
            assertThat(m[1]).isCloseTo(0.1f * 4f / 5f, within(5e-6f));
        }
    }

    @Test
    void missingGroupSettingsNameTheGroup() {
        NDArray w = manager.zeros(new ai.djl.ndarray.types.Shape(2));
        assertThatThrownBy(() -> new AdamW(manager, List.of(new TrainableParameter("w", w, ParamGroup.LOGITS)),
                Map.of(), LrSchedule.constant(), AdamW.Options.defaults())).hasMessageContaining("LOGITS");
    }
}

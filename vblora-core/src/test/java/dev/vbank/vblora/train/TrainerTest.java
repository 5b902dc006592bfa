package dev.vbank.vblora.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.TargetModules;
import dev.vbank.vblora.config.VbloraConfig;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.method.LoraMethod;
import dev.vbank.vblora.method.VbloraMethod;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.model.Batch;
import dev.vbank.vblora.model.EncoderWeights;
import dev.vbank.vblora.model.Pooling;
import dev.vbank.vblora.model.TinyModels;
import dev.vbank.vblora.model.VbloraAdapter;
import dev.vbank.vblora.optim.AdamW;
import dev.vbank.vblora.optim.LrSchedule;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class TrainerTest {

    private NDManager manager;
    private EncoderWeights base;

    @BeforeEach
    void setUp() {
        manager = Engine.getEngine("PyTorch").newBaseManager();
        base = EncoderWeights.random(manager, TinyModels.SHAPE, 21);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void liveArrayCountStaysFlatOver500Steps() {
        try (AdaptedEncoder model = new VbloraMethod(TinyModels.vblora("all-linear"))
                .create(manager, base, 2, Pooling.MEAN, 1);
             AdamW opt = new AdamW(manager, model.parameters(), AdamW.vbloraGroups(1e-3, 1e-2, 1e-3, 0.01),
                     LrSchedule.linear(10, 520), AdamW.Options.defaults())) {
            Trainer trainer = new Trainer(manager, model, opt);
            Random random = new Random(2);
            Batch batch = TinyModels.batch(random, 4, 8, 2);
            int afterWarmup = -1;
            for (int i = 0; i < 520; i++) {
                trainer.step(batch);
                if (i == 19) {
                    afterWarmup = manager.getManagedArrays().size();
                }
            }
            int atEnd = manager.getManagedArrays().size();
            assertThat(afterWarmup).isPositive();
            assertThat(atEnd).as("live arrays after 520 steps vs after 20").isEqualTo(afterWarmup);
            assertThat(opt.stepCount()).isEqualTo(520);
        }
    }

    @Test
    void vbloraLearnsASeparableTaskAndOnlyAdapterAndHeadChange() {
        VbloraConfig cfg = TinyModels.vblora("all-linear");
        Tensor frozenBefore = base.toTensor("encoder.layer.0.attention.self.query.weight");
        try (AdaptedEncoder model = new VbloraMethod(cfg).create(manager, base, 2, Pooling.MEAN, 3);
             AdamW opt = new AdamW(manager, model.parameters(), AdamW.vbloraGroups(1e-2, 5e-2, 1e-2, 0.01),
                     LrSchedule.constant(), AdamW.Options.defaults())) {
            Map<String, Tensor> before = model.exportState();
            Trainer trainer = new Trainer(manager, model, opt);
            Random random = new Random(4);
            Batch eval = TinyModels.separableBatch(new Random(99), 16, 8);
            float initial = trainer.evaluate(eval);
            for (int i = 0; i < 60; i++) {
                trainer.step(TinyModels.separableBatch(random, 16, 8));
            }
            float last = trainer.evaluate(eval);
            assertThat(last).as("eval loss after training vs before (" + initial + ")").isLessThan(initial * 0.5f);
            Map<String, Tensor> after = model.exportState();
            assertThat(after.get(VbloraAdapter.BANK)).isNotEqualTo(before.get(VbloraAdapter.BANK));
            String logits = VbloraAdapter.logitsAName("encoder.layer.0.attention.self.query");
            assertThat(after.get(logits)).isNotEqualTo(before.get(logits));
            assertThat(base.toTensor("encoder.layer.0.attention.self.query.weight")).isEqualTo(frozenBefore);
        }
    }

    @Test
    void topOneSelectionGivesLogitsNoGradientSoTheyNeverMove() {
        VbloraConfig cfg = TinyModels.vblora("qv").withTopk(1);
        try (AdaptedEncoder model = new VbloraMethod(cfg).create(manager, base, 2, Pooling.MEAN, 3);
             AdamW opt = new AdamW(manager, model.parameters(), AdamW.vbloraGroups(1e-2, 1e-1, 1e-2, 0.01),
                     LrSchedule.constant(), AdamW.Options.defaults())) {
            Map<String, Tensor> before = model.exportState();
            Trainer trainer = new Trainer(manager, model, opt);
            Random random = new Random(5);
            for (int i = 0; i < 5; i++) {
                trainer.step(TinyModels.batch(random, 4, 6, 2));
            }
            Map<String, Tensor> after = model.exportState();
            String logits = VbloraAdapter.logitsBName("encoder.layer.1.attention.self.value");
            assertThat(after.get(logits)).isEqualTo(before.get(logits));
            assertThat(after.get(VbloraAdapter.BANK)).isNotEqualTo(before.get(VbloraAdapter.BANK));
        }
    }

    @Test
    void sameSeedGivesIdenticalRunsWithDropout() {
        assertThat(loraRun(77)).containsExactlyElementsOf(loraRun(77));
        assertThat(loraRun(78)).isNotEqualTo(loraRun(77));
    }

    private List<Float> loraRun(long seed) {
        Trainer.seed(seed);
        LoraConfig cfg = LoraConfig.defaults().withTargetModules(TargetModules.QV).withR(4).withDropout(0.2);
        List<Float> losses = new ArrayList<>();
        try (AdaptedEncoder model = new LoraMethod(cfg).create(manager, base, 2, Pooling.CLS, seed);
             AdamW opt = new AdamW(manager, model.parameters(), AdamW.loraGroups(1e-2, 0.01, 1e-2, 0.01),
                     LrSchedule.cosine(2, 8), AdamW.Options.defaults())) {
            Trainer trainer = new Trainer(manager, model, opt);
            Random random = new Random(6);
            for (int i = 0; i < 8; i++) {
                losses.add(trainer.step(TinyModels.batch(random, 4, 6, 2)).loss());
            }
        }
        return losses;
    }
}

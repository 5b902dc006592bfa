package dev.vbank.vblora.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.TargetModules;
import dev.vbank.vblora.config.VbloraConfig;
import dev.vbank.vblora.format.AdapterStates;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.PeftFormat;
import dev.vbank.vblora.method.LoraMethod;
import dev.vbank.vblora.method.VbloraMethod;
import dev.vbank.vblora.optim.AdamW;
import dev.vbank.vblora.optim.LrSchedule;
import dev.vbank.vblora.train.Trainer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The engine's exported state survives the PEFT and compact files and rebuilds a model with the same outputs. */
class FormatInteropTest {

    private static final AdapterStates.Meta META = new AdapterStates.Meta("test/tiny-bert", null, "SEQ_CLS",
            List.of("neg", "pos"), Map.of());

    @Test
    void trainedAdaptersRoundTripThroughPeftAndCompactFiles() {
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
            EncoderWeights base = EncoderWeights.random(manager, TinyModels.SHAPE, 31);
            Batch probe = TinyModels.batch(new Random(2), 3, 6, 2);
            Random random = new Random(3);

            VbloraConfig vcfg = TinyModels.vblora("all-linear");
            try (AdaptedEncoder model = new VbloraMethod(vcfg).create(manager, base, 2, Pooling.MEAN, 4);
                 AdamW opt = new AdamW(manager, model.parameters(), AdamW.vbloraGroups(1e-2, 1e-1, 1e-2, 0.01),
                         LrSchedule.constant(), AdamW.Options.defaults())) {
                Trainer trainer = new Trainer(manager, model, opt);
                trainer.step(TinyModels.batch(random, 4, 6, 2));
                AdapterWeights saved = AdapterStates.vblora(vcfg, model.exportState(), META);
                float[] expected = model.predict(manager, probe);

                // PEFT layout with full logits: exact, and still trainable
                PeftFormat.Export peft = PeftFormat.toFiles(saved, PeftFormat.Options.full());
                try (AdaptedEncoder copy = AdapterLoader.load(manager, base, PeftFormat.importZip(peft.zip()), Pooling.MEAN)) {
                    assertThat(copy.adapter().trainable()).isTrue();
                    assertThat(copy.predict(manager, probe)).containsExactly(expected);
                }

                // the compact file keeps the logits by default (PEFT's default): exact and still trainable
                AdapterWeights kept = CompactFormat.read(CompactFormat.write(saved, CompactFormat.Options.FP32));
                assertThat(kept).isEqualTo(saved);
                assertThat(kept.trainable()).isTrue();

                // with save_only_topk_weights it keeps top-k indices/weights: same outputs to fp32 rounding, merge works,
                // no training
                AdapterWeights topkOnly = AdapterStates.vblora(vcfg.withSaveOnlyTopkWeights(true), model.exportState(), META);
                AdapterWeights compact = CompactFormat.read(CompactFormat.write(topkOnly, CompactFormat.Options.FP32));
                assertThat(compact.trainable()).isFalse();
                try (AdaptedEncoder copy = AdapterLoader.load(manager, base, compact, Pooling.MEAN)) {
                    assertThat(AdaptedEncoderTest.relDiff(copy.predict(manager, probe), expected)).isLessThan(1e-5);
                    copy.merge();
                    assertThat(AdaptedEncoderTest.relDiff(copy.predict(manager, probe), expected)).isLessThan(1e-5);
                    copy.unmerge();
                    assertThatThrownBy(() -> new Trainer(manager, copy, opt).step(TinyModels.batch(random, 2, 4, 2)))
                            .hasMessageContaining("top-k weights only");
                }
            }

            LoraConfig lcfg = LoraConfig.defaults().withR(2).withTargetModules(TargetModules.QV);
            try (AdaptedEncoder model = new LoraMethod(lcfg).create(manager, base, 2, Pooling.CLS, 4);
                 AdamW opt = new AdamW(manager, model.parameters(), AdamW.loraGroups(1e-2, 0, 1e-2, 0.01),
                         LrSchedule.constant(), AdamW.Options.defaults())) {
                new Trainer(manager, model, opt).step(TinyModels.batch(random, 4, 6, 2));
                byte[] file = CompactFormat.write(AdapterStates.lora(lcfg, model.exportState(), META),
                        CompactFormat.Options.FP32);
                try (AdaptedEncoder copy = AdapterLoader.load(manager, base, CompactFormat.read(file), Pooling.CLS)) {
                    assertThat(copy.predict(manager, probe)).containsExactly(model.predict(manager, probe));
                }
            }
        }
    }
}

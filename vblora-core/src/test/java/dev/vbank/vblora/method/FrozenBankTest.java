package dev.vbank.vblora.method;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.vbank.vblora.format.AdapterStates;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.BankRef;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.SharedBank;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.format.VectorBankFile;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.model.EncoderWeights;
import dev.vbank.vblora.model.ParamGroup;
import dev.vbank.vblora.model.Pooling;
import dev.vbank.vblora.model.TinyModels;
import dev.vbank.vblora.model.TrainableParameter;
import dev.vbank.vblora.model.VbloraAdapter;
import dev.vbank.vblora.optim.AdamW;
import dev.vbank.vblora.optim.LrSchedule;
import dev.vbank.vblora.train.Trainer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** VB-LoRA against a published bank: the bank is loaded frozen, only logits and head train. */
class FrozenBankTest {

    @Test
    void trainsLogitsAndHeadOnlyAndSavesABankReferencingAdapter() {
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
            EncoderWeights base = EncoderWeights.random(manager, TinyModels.SHAPE, 3);
            Random rnd = new Random(5);
            float[] values = new float[8 * 8];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) rnd.nextGaussian() * 0.1f;
            }
            Tensor bank = new Tensor(new long[]{8, 8}, values);
            byte[] bankFile = VectorBankFile.write(bank);
            SharedBank shared = new SharedBank(new BankRef("vbank-test", VectorBankFile.sha256(bankFile)), bank);
            VbloraMethod method = new VbloraMethod(TinyModels.vblora("qv"), shared);
            assertThat(method.optimizerGroups()).doesNotContainKey(ParamGroup.VECTOR_BANK);
            try (AdaptedEncoder model = method.create(manager, base, 2, Pooling.MEAN, 11)) {
                assertThat(model.parameters()).extracting(TrainableParameter::group)
                        .doesNotContain(ParamGroup.VECTOR_BANK);
                Map<String, Tensor> before = model.exportState();
                assertThat(before.get(VbloraAdapter.BANK)).isEqualTo(bank);
                AdamW opt = new AdamW(manager, model.parameters(), method.optimizerGroups(),
                        LrSchedule.linear(0, 40), AdamW.Options.defaults());
                Trainer trainer = new Trainer(manager, model, opt);
                float first = 0;
                float last = 0;
                for (int s = 0; s < 20; s++) {
                    float loss = trainer.step(TinyModels.separableBatch(new Random(s), 8, 6)).loss();
                    first = s == 0 ? loss : first;
                    last = loss;
                }
                Map<String, Tensor> after = model.exportState();
                assertThat(after.get(VbloraAdapter.BANK)).isEqualTo(bank);
                String logits = VbloraAdapter.logitsAName("encoder.layer.0.attention.self.query");
                assertThat(after.get(logits)).isNotEqualTo(before.get(logits));
                assertThat(last).isLessThan(first);

                AdapterWeights saved = method.adapterWeights(after,
                        new AdapterStates.Meta("tiny", null, "SEQ_CLS", List.of("a", "b"), Map.of()));
                assertThat(saved.bankRef()).isEqualTo(shared.ref());
                byte[] file = CompactFormat.write(saved, CompactFormat.Options.SHARED_BANK);
                assertThat(CompactFormat.bankRef(file)).isEqualTo(shared.ref());
                AdapterWeights back = CompactFormat.read(file, ref -> bankFile);
                assertThat(back.vectorBank()).isEqualTo(bank);

                // resuming from a state: the shared bank again, still frozen
                try (AdaptedEncoder resumed = method.restore(manager, base, Pooling.MEAN, after)) {
                    assertThat(resumed.parameters()).extracting(TrainableParameter::group)
                            .doesNotContain(ParamGroup.VECTOR_BANK);
                    assertThat(resumed.exportState()).isEqualTo(after);
                }
                opt.close();
            }
        }
    }

    @Test
    void liveArrayCountStaysFlatWithAFrozenBank() {
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
            EncoderWeights base = EncoderWeights.random(manager, TinyModels.SHAPE, 3);
            Tensor bank = new Tensor(new long[]{8, 8}, new float[64]);
            SharedBank shared = new SharedBank(new BankRef("vbank-zero", VectorBankFile.sha256(VectorBankFile.write(bank))),
                    bank);
            VbloraMethod method = new VbloraMethod(TinyModels.vblora("all-linear"), shared);
            try (AdaptedEncoder model = method.create(manager, base, 2, Pooling.MEAN, 1);
                 AdamW opt = new AdamW(manager, model.parameters(), method.optimizerGroups(),
                         LrSchedule.linear(2, 120), AdamW.Options.defaults())) {
                Trainer trainer = new Trainer(manager, model, opt);
                var batch = TinyModels.batch(new Random(2), 4, 8, 2);
                int afterWarmup = -1;
                for (int i = 0; i < 100; i++) {
                    trainer.step(batch);
                    if (i == 9) {
                        afterWarmup = manager.getManagedArrays().size();
                    }
                }
                assertThat(manager.getManagedArrays().size()).isEqualTo(afterWarmup);
            }
        }
    }
}

package dev.vbank.worker.train;

import dev.vbank.text.model.BaseModels;
import dev.vbank.text.train.Method;
import dev.vbank.text.train.TrainingSpec;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.config.VbloraConfig;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.format.VbloraModule;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The worker's own check that a stored adapter fits the spec it built before training continues from it. */
class InitAdapterTest {

    static final String MODEL = BaseModels.ALL_MINILM_L6_V2.id();

    static AdapterWeights vblora(VbloraConfig c, boolean logits) {
        List<VbloraModule> modules = new ArrayList<>();
        for (int l = 0; l < 6; l++) {
            for (String m : List.of("attention.self.query", "attention.self.value")) {
                ModuleShape s = new ModuleShape("encoder.layer." + l + "." + m, 384, 384);
                modules.add(VbloraModule.ofLogits(s.path(), 384, 384,
                        Tensor.zeros(c.r(), 384 / c.vectorLength(), c.numVectors()),
                        Tensor.zeros(384 / c.vectorLength(), c.r(), c.numVectors())));
            }
        }
        AdapterWeights a = AdapterWeights.vblora(c, MODEL, null, Tensor.zeros(c.numVectors(), c.vectorLength()), modules,
                Map.of(), null, List.of(), Map.of());
        return logits ? a : a.toTopKOnly();
    }

    @Test
    void anAdapterOfTheSameMethodAndShapesFits() {
        VbloraConfig c = TrainingSpec.defaultVblora("qv");
        TrainingSpec spec = TrainingSpec.builder(MODEL).method(Method.VBLORA).vblora(c).build();
        assertThat(InitAdapter.mismatch(vblora(c, true), spec)).isNull();
        assertThat(InitAdapter.mismatch(vblora(c, false), spec)).contains("top-k weights only");
        TrainingSpec wider = TrainingSpec.builder(MODEL).method(Method.VBLORA).vblora(c.toBuilder().r(c.r() * 2).build())
                .build();
        assertThat(InitAdapter.mismatch(vblora(c, true), wider)).contains("r " + c.r());
        TrainingSpec lora = TrainingSpec.builder(MODEL).method(Method.LORA).lora(LoraConfig.defaults()).build();
        assertThat(InitAdapter.mismatch(vblora(c, true), lora)).contains("is a vblora adapter");
        TrainingSpec bge = TrainingSpec.builder(BaseModels.BGE_SMALL_EN_V15.id()).method(Method.VBLORA).vblora(c).build();
        assertThat(InitAdapter.mismatch(vblora(c, true), bge)).contains("was made for " + MODEL);
    }
}

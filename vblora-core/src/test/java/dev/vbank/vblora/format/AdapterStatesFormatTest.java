package dev.vbank.vblora.format;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AdapterStatesFormatTest {

    static AdapterStates.Meta meta(AdapterWeights a) {
        return new AdapterStates.Meta(a.baseModelId(), a.baseWeightsSha256(), a.taskType(), a.labels(), a.provenance());
    }

    @Test
    void vbloraStateRoundTrip() {
        AdapterWeights a = FormatFixtures.vblora(8, FormatFixtures.smallConfig(), 2, 16, 32);
        Map<String, Tensor> state = AdapterStates.toState(a);
        assertThat(state).containsKeys("vblora_vector_bank", "encoder.layer.1.output.dense.vblora_logits_B",
                "classifier.weight");
        assertThat(state).hasSize(1 + 2 * 12 + 2);
        assertThat(AdapterStates.vblora(a.vbloraConfig(), state, meta(a))).isEqualTo(a);
        assertThatThrownBy(() -> AdapterStates.toState(a.toTopKOnly())).hasMessageContaining("no logits");
    }

    @Test
    void loraAndHeadStateRoundTrip() {
        AdapterWeights l = FormatFixtures.lora(2);
        Map<String, Tensor> state = AdapterStates.toState(l);
        assertThat(state).containsKey("encoder.layer.0.attention.self.query.lora_A");
        assertThat(AdapterStates.lora(l.loraConfig(), state, meta(l))).isEqualTo(l);
        AdapterWeights h = AdapterStates.headOnly(l.head(), meta(l));
        assertThat(AdapterStates.toState(h)).isEqualTo(l.head());
    }

    @Test
    void shapeMismatchIsReported() {
        AdapterWeights a = FormatFixtures.vblora(8, FormatFixtures.smallConfig(), 1, 16, 32);
        Map<String, Tensor> state = new java.util.LinkedHashMap<>(AdapterStates.toState(a));
        state.put("encoder.layer.0.attention.self.query.vblora_logits_A", Tensor.zeros(2, 2, 11));
        assertThatThrownBy(() -> AdapterStates.vblora(a.vbloraConfig(), state, meta(a)))
                .hasMessageContaining("encoder.layer.0.attention.self.query logits_A").hasMessageContaining("[2, 2, 12]");
    }
}

package dev.vbank.vblora.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VbloraConfigTest {

    static ConfigException failure(Supplier<?> s) {
        try {
            s.get();
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("expected a ConfigException");
    }

    @Test
    void defaultsArePeftDefaults() {
        VbloraConfig c = VbloraConfig.defaults();
        assertThat(c.numVectors()).isEqualTo(256);
        assertThat(c.vectorLength()).isEqualTo(256);
        assertThat(c.r()).isEqualTo(4);
        assertThat(c.topk()).isEqualTo(2);
        assertThat(c.dropout()).isEqualTo(0.0);
        assertThat(c.initVectorBankBound()).isEqualTo(0.02);
        assertThat(c.initLogitsStd()).isEqualTo(0.1);
        assertThat(c.lrVectorBank()).isEqualTo(1e-3);
        assertThat(c.lrLogits()).isEqualTo(1e-2);
        assertThat(c.weightDecayHead()).isEqualTo(0.01);
        assertThat(c.saveOnlyTopkWeights()).isFalse();
        assertThat(c.layersToTransform()).isNull();
        assertThat(c.targetModules()).isEqualTo(TargetModules.QV);
    }

    @Test
    void withersChangeOneField() {
        VbloraConfig c = VbloraConfig.defaults().withNumVectors(90).withTopk(3).withSaveOnlyTopkWeights(true);
        assertThat(c.numVectors()).isEqualTo(90);
        assertThat(c.topk()).isEqualTo(3);
        assertThat(c.saveOnlyTopkWeights()).isTrue();
        assertThat(c.vectorLength()).isEqualTo(256);
    }

    @ParameterizedTest
    @CsvSource({
            "num_vectors,  num_vectors,  0",
            "vector_length,vector_length,0",
            "r,            r,            0",
            "topk,         topk,         0",
            "topk,         topk,         257",
            "dropout,      dropout,      -0.1",
            "dropout,      dropout,      1.0",
            "dropout,      dropout,      NaN",
            "init_vector_bank_bound, init_vector_bank_bound, 0",
            "init_logits_std, init_logits_std, -1",
            "lr_vector_bank, lr_vector_bank, Infinity",
            "lr_logits,    lr_logits,    -0.01",
            "lr_head,      lr_head,      0",
            "weight_decay_head, weight_decay_head, -0.5",
    })
    void invalidValuesNameTheField(String setter, String field, String value) {
        ConfigException e = failure(() -> set(VbloraConfig.builder(), setter, value).build());
        assertThat(e.field()).isEqualTo(field);
        assertThat(e.getMessage()).startsWith(field + ":");
    }

    private static VbloraConfig.Builder set(VbloraConfig.Builder b, String field, String v) {
        return switch (field) {
            case "num_vectors" -> b.numVectors(Integer.parseInt(v));
            case "vector_length" -> b.vectorLength(Integer.parseInt(v));
            case "r" -> b.r(Integer.parseInt(v));
            case "topk" -> b.topk(Integer.parseInt(v));
            case "dropout" -> b.dropout(Double.parseDouble(v));
            case "init_vector_bank_bound" -> b.initVectorBankBound(Double.parseDouble(v));
            case "init_logits_std" -> b.initLogitsStd(Double.parseDouble(v));
            case "lr_vector_bank" -> b.lrVectorBank(Double.parseDouble(v));
            case "lr_logits" -> b.lrLogits(Double.parseDouble(v));
            case "lr_head" -> b.lrHead(Double.parseDouble(v));
            case "weight_decay_head" -> b.weightDecayHead(Double.parseDouble(v));
            default -> throw new IllegalArgumentException(field);
        };
    }

    @Test
    void topkAboveBankSizeMentionsBoth() {
        ConfigException e = failure(() -> VbloraConfig.builder().numVectors(4).topk(5).build());
        assertThat(e.field()).isEqualTo("topk");
        assertThat(e.getMessage()).contains("num_vectors (4)").contains("5");
    }

    @Test
    void layersToTransformRejectsNegativeAndDuplicates() {
        assertThat(failure(() -> VbloraConfig.defaults().withLayersToTransform(List.of(1, -2))).field())
                .isEqualTo("layers_to_transform");
        assertThat(failure(() -> VbloraConfig.defaults().withLayersToTransform(List.of(3, 3))).getMessage())
                .contains("duplicate");
    }

    @Test
    void unknownModuleNameIsRejected() {
        ConfigException e = failure(() -> TargetModules.parse("query,values"));
        assertThat(e.field()).isEqualTo("target_modules");
        assertThat(e.getMessage()).contains("'values'");
        assertThat(failure(() -> TargetModules.parse("regex:(")).field()).isEqualTo("target_modules");
    }

    @Test
    void targetModulesMatchPaths() {
        TargetModules all = TargetModules.parse("all-linear");
        TargetModules ffnOut = TargetModules.parse("output.dense");
        assertThat(all.matches("encoder.layer.0.attention.output.dense")).isTrue();
        assertThat(all.matches("encoder.layer.11.output.dense")).isTrue();
        assertThat(all.matches("pooler.dense")).isFalse();
        assertThat(ffnOut.matches("encoder.layer.2.output.dense")).isTrue();
        assertThat(ffnOut.matches("encoder.layer.2.attention.output.dense")).isFalse();
        assertThat(TargetModules.QV.matches("roberta.encoder.layer.5.attention.self.value")).isTrue();
        assertThat(TargetModules.QV.matches("encoder.layer.5.attention.self.key")).isFalse();
        TargetModules re = TargetModules.parse("regex:encoder\\.layer\\.[0-3]\\.attention\\.self\\.query");
        assertThat(re.matches("encoder.layer.3.attention.self.query")).isTrue();
        assertThat(re.matches("encoder.layer.4.attention.self.query")).isFalse();
        assertThat(TargetModules.parse("value,query")).isSameAs(TargetModules.QV);
        assertThat(TargetModules.parse("intermediate.dense,attention.self.query").spec()).isEqualTo("query,intermediate.dense");
    }

    static List<ModuleShape> bertShapes(int layers, int d, int ffn) {
        List<ModuleShape> out = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            String p = "encoder.layer." + l + ".";
            out.add(new ModuleShape(p + "attention.self.query", d, d));
            out.add(new ModuleShape(p + "attention.self.key", d, d));
            out.add(new ModuleShape(p + "attention.self.value", d, d));
            out.add(new ModuleShape(p + "attention.output.dense", d, d));
            out.add(new ModuleShape(p + "intermediate.dense", d, ffn));
            out.add(new ModuleShape(p + "output.dense", ffn, d));
        }
        out.add(new ModuleShape("pooler.dense", d, d));
        return out;
    }

    @Test
    void validateAgainstSelectsAdaptedModules() {
        VbloraConfig c = VbloraConfig.defaults().withTargetModules(TargetModules.ALL_LINEAR).withLayersToTransform(List.of(0, 2));
        List<ModuleShape> adapted = c.validateAgainst(bertShapes(3, 768, 3072));
        assertThat(adapted).hasSize(12);
        assertThat(adapted).allMatch(m -> !m.path().startsWith("encoder.layer.1."));
    }

    @Test
    void validateAgainstNamesModuleAndDimension() {
        VbloraConfig c = VbloraConfig.defaults().withVectorLength(256).withTargetModules(TargetModules.parse("intermediate.dense"));
        ConfigException e = failure(() -> c.validateAgainst(bertShapes(2, 512, 1000)));
        assertThat(e.field()).isEqualTo("vector_length");
        assertThat(e.getMessage()).contains("encoder.layer.0.intermediate.dense").contains("out features (1000)");

        VbloraConfig q = VbloraConfig.defaults().withVectorLength(100);
        ConfigException e2 = failure(() -> q.validateAgainst(bertShapes(1, 250, 1000)));
        assertThat(e2.getMessage()).contains("encoder.layer.0.attention.self.query").contains("in features (250)");
    }

    @Test
    void validateAgainstRejectsMissingLayerAndEmptyMatch() {
        ConfigException e = failure(() -> VbloraConfig.defaults().withLayersToTransform(List.of(7)).validateAgainst(bertShapes(2, 256, 512)));
        assertThat(e.field()).isEqualTo("layers_to_transform");
        assertThat(e.getMessage()).contains("layer 7");
        ConfigException e2 = failure(() -> VbloraConfig.defaults().validateAgainst(List.of(new ModuleShape("classifier.dense", 256, 256))));
        assertThat(e2.field()).isEqualTo("target_modules");
    }

    @Test
    void jsonRoundTripSnakeCase() {
        VbloraConfig c = VbloraConfig.builder().numVectors(90).r(8).topk(3).targetModules("regex:.*query")
                .layersToTransform(List.of(0, 5)).dropout(0.05).saveOnlyTopkWeights(true).lrHead(1e-2).build();
        String json = ConfigJson.write(c);
        assertThat(json).contains("\"num_vectors\"").contains("\"vector_length\"").contains("\"topk\"")
                .contains("\"target_modules\" : \"regex:.*query\"").contains("\"save_only_topk_weights\" : true")
                .doesNotContain("numVectors");
        assertThat(ConfigJson.readVblora(json)).isEqualTo(c);
    }

    @Test
    void jsonMissingFieldsTakeDefaults() {
        VbloraConfig c = ConfigJson.readVblora("{\"num_vectors\": 90, \"target_modules\": \"all-linear\"}");
        assertThat(c).isEqualTo(VbloraConfig.defaults().withNumVectors(90).withTargetModules(TargetModules.ALL_LINEAR));
    }

    @Test
    void jsonRejectsUnknownAndInvalid() {
        ConfigException unknown = failure(() -> ConfigJson.readVblora("{\"num_vector\": 90}"));
        assertThat(unknown.field()).isEqualTo("num_vector");
        assertThat(unknown.getMessage()).contains("unknown field");
        assertThat(failure(() -> ConfigJson.readVblora("{\"topk\": 0}")).field()).isEqualTo("topk");
        assertThat(failure(() -> ConfigJson.readVblora("{\"r\": \"four\"}")).field()).isEqualTo("r");
        assertThat(failure(() -> ConfigJson.readVblora("{\"target_modules\": \"query,nope\"}")).field()).isEqualTo("target_modules");
    }

    @Test
    void loraConfigDefaultsAndJson() {
        LoraConfig l = LoraConfig.defaults();
        assertThat(l.r()).isEqualTo(8);
        assertThat(l.alpha()).isEqualTo(16);
        assertThat(l.dropout()).isEqualTo(0.1);
        assertThat(l.scaling()).isEqualTo(2.0);
        LoraConfig l2 = l.withR(16).withTargetModules(TargetModules.ALL_LINEAR);
        assertThat(ConfigJson.readLora(ConfigJson.write(l2))).isEqualTo(l2);
        assertThat(ConfigJson.write(l2)).contains("\"lora_alpha\"");
        assertThat(failure(() -> l.withAlpha(Double.NaN)).field()).isEqualTo("lora_alpha");
        assertThat(failure(() -> ConfigJson.readLora("{\"alpha\": 3}")).field()).isEqualTo("alpha");
        assertThatThrownBy(() -> l.withR(0)).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("r:");
    }
}

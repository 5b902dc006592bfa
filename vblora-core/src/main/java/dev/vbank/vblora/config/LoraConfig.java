package dev.vbank.vblora.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.OptionalInt;

/**
 * Plain LoRA baseline: {@code ΔW = (alpha / r) · B A} with A (r × in), B (out × r). Defaults r 8, alpha 16, dropout 0.1
 * (PEFT's LoRA examples for RoBERTa). {@code lrLora} 5e-4 is the usual RoBERTa-base GLUE value for LoRA; the head gets
 * the same 4e-3 and weight decay 0.01 as in {@link VbloraConfig}.
 */
public record LoraConfig(
        @JsonProperty("r") int r,
        @JsonProperty("lora_alpha") double alpha,
        @JsonProperty("lora_dropout") double dropout,
        @JsonProperty("target_modules") TargetModules targetModules,
        @JsonProperty("layers_to_transform") List<Integer> layersToTransform,
        @JsonProperty("lr_lora") double lrLora,
        @JsonProperty("lr_head") double lrHead,
        @JsonProperty("weight_decay_head") double weightDecayHead) {

    public static final int DEFAULT_R = 8;
    public static final double DEFAULT_ALPHA = 16;
    public static final double DEFAULT_DROPOUT = 0.1;
    public static final double DEFAULT_LR_LORA = 5e-4;
    public static final double DEFAULT_LR_HEAD = VbloraConfig.DEFAULT_LR_HEAD;
    public static final double DEFAULT_WEIGHT_DECAY_HEAD = VbloraConfig.DEFAULT_WEIGHT_DECAY_HEAD;

    public LoraConfig {
        Checks.atLeast1("r", r);
        Checks.finitePositive("lora_alpha", alpha);
        Checks.probability("lora_dropout", dropout);
        Checks.required("target_modules", targetModules);
        layersToTransform = Checks.layers("layers_to_transform", layersToTransform);
        Checks.finitePositive("lr_lora", lrLora);
        Checks.finitePositive("lr_head", lrHead);
        Checks.finiteNonNegative("weight_decay_head", weightDecayHead);
    }

    public static LoraConfig defaults() {
        return new LoraConfig(DEFAULT_R, DEFAULT_ALPHA, DEFAULT_DROPOUT, TargetModules.QV, null, DEFAULT_LR_LORA,
                DEFAULT_LR_HEAD, DEFAULT_WEIGHT_DECAY_HEAD);
    }

    @JsonCreator
    static LoraConfig fromJson(
            @JsonProperty("r") Integer r,
            @JsonProperty("lora_alpha") Double alpha,
            @JsonProperty("lora_dropout") Double dropout,
            @JsonProperty("target_modules") TargetModules targetModules,
            @JsonProperty("layers_to_transform") List<Integer> layersToTransform,
            @JsonProperty("lr_lora") Double lrLora,
            @JsonProperty("lr_head") Double lrHead,
            @JsonProperty("weight_decay_head") Double weightDecayHead) {
        return new LoraConfig(
                r != null ? r : DEFAULT_R,
                alpha != null ? alpha : DEFAULT_ALPHA,
                dropout != null ? dropout : DEFAULT_DROPOUT,
                targetModules != null ? targetModules : TargetModules.QV,
                layersToTransform,
                lrLora != null ? lrLora : DEFAULT_LR_LORA,
                lrHead != null ? lrHead : DEFAULT_LR_HEAD,
                weightDecayHead != null ? weightDecayHead : DEFAULT_WEIGHT_DECAY_HEAD);
    }

    /** alpha / r, the factor applied to B A. */
    public double scaling() {
        return alpha / r;
    }

    public boolean adapts(String modulePath) {
        if (!targetModules.matches(modulePath)) {
            return false;
        }
        if (layersToTransform == null) {
            return true;
        }
        OptionalInt layer = TargetModules.layerIndex(modulePath);
        return layer.isPresent() && layersToTransform.contains(layer.getAsInt());
    }

    public LoraConfig withR(int v) { return new LoraConfig(v, alpha, dropout, targetModules, layersToTransform, lrLora, lrHead, weightDecayHead); }
    public LoraConfig withAlpha(double v) { return new LoraConfig(r, v, dropout, targetModules, layersToTransform, lrLora, lrHead, weightDecayHead); }
    public LoraConfig withDropout(double v) { return new LoraConfig(r, alpha, v, targetModules, layersToTransform, lrLora, lrHead, weightDecayHead); }
    public LoraConfig withTargetModules(TargetModules v) { return new LoraConfig(r, alpha, dropout, v, layersToTransform, lrLora, lrHead, weightDecayHead); }
    public LoraConfig withLayersToTransform(List<Integer> v) { return new LoraConfig(r, alpha, dropout, targetModules, v, lrLora, lrHead, weightDecayHead); }
    public LoraConfig withLrLora(double v) { return new LoraConfig(r, alpha, dropout, targetModules, layersToTransform, v, lrHead, weightDecayHead); }
    public LoraConfig withLrHead(double v) { return new LoraConfig(r, alpha, dropout, targetModules, layersToTransform, lrLora, v, weightDecayHead); }
    public LoraConfig withWeightDecayHead(double v) { return new LoraConfig(r, alpha, dropout, targetModules, layersToTransform, lrLora, lrHead, v); }
}

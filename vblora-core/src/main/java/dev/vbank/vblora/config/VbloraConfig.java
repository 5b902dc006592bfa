package dev.vbank.vblora.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.TreeSet;

/**
 * VB-LoRA hyper-parameters. Defaults follow PEFT's {@code VBLoRAConfig} (h = b = 256, r = 4, k = 2, dropout 0,
 * bank bound 0.02, logits std 0.1) and the paper's optimizer split (bank 1e-3, logits 1e-2, no weight decay on either).
 * <p>
 * {@code lrHead} defaults to 4e-3: the classifier head is trained from scratch and, in the RoBERTa GLUE setups the
 * paper inherits from VeRA, head learning rates sit in the 4e-3…1e-2 range; the low end is the safer default for
 * small datasets. The head alone gets weight decay 0.01 (AdamW's usual value).
 * <p>
 * Instances are always valid: the canonical constructor rejects bad values with a {@link ConfigException} naming the
 * field. JSON uses snake_case ({@link ConfigJson}).
 */
public record VbloraConfig(
        @JsonProperty("num_vectors") int numVectors,
        @JsonProperty("vector_length") int vectorLength,
        @JsonProperty("r") int r,
        @JsonProperty("topk") int topk,
        @JsonProperty("target_modules") TargetModules targetModules,
        @JsonProperty("layers_to_transform") List<Integer> layersToTransform,
        @JsonProperty("dropout") double dropout,
        @JsonProperty("init_vector_bank_bound") double initVectorBankBound,
        @JsonProperty("init_logits_std") double initLogitsStd,
        @JsonProperty("lr_vector_bank") double lrVectorBank,
        @JsonProperty("lr_logits") double lrLogits,
        @JsonProperty("lr_head") double lrHead,
        @JsonProperty("weight_decay_head") double weightDecayHead,
        @JsonProperty("save_only_topk_weights") boolean saveOnlyTopkWeights) {

    public static final int DEFAULT_NUM_VECTORS = 256;
    public static final int DEFAULT_VECTOR_LENGTH = 256;
    public static final int DEFAULT_R = 4;
    public static final int DEFAULT_TOPK = 2;
    public static final double DEFAULT_DROPOUT = 0.0;
    public static final double DEFAULT_INIT_VECTOR_BANK_BOUND = 0.02;
    public static final double DEFAULT_INIT_LOGITS_STD = 0.1;
    public static final double DEFAULT_LR_VECTOR_BANK = 1e-3;
    public static final double DEFAULT_LR_LOGITS = 1e-2;
    public static final double DEFAULT_LR_HEAD = 4e-3;
    public static final double DEFAULT_WEIGHT_DECAY_HEAD = 0.01;

    public VbloraConfig {
        Checks.atLeast1("num_vectors", numVectors);
        Checks.atLeast1("vector_length", vectorLength);
        Checks.atLeast1("r", r);
        Checks.atLeast1("topk", topk);
        if (topk > numVectors) {
            throw new ConfigException("topk", "must be <= num_vectors (" + numVectors + "), was " + topk);
        }
        Checks.required("target_modules", targetModules);
        layersToTransform = Checks.layers("layers_to_transform", layersToTransform);
        Checks.probability("dropout", dropout);
        // a zero bank gives zero gradients to every logit, so the bound must be positive
        Checks.finitePositive("init_vector_bank_bound", initVectorBankBound);
        Checks.finiteNonNegative("init_logits_std", initLogitsStd);
        Checks.finitePositive("lr_vector_bank", lrVectorBank);
        Checks.finitePositive("lr_logits", lrLogits);
        Checks.finitePositive("lr_head", lrHead);
        Checks.finiteNonNegative("weight_decay_head", weightDecayHead);
    }

    /** All defaults, targeting {@code qv}. */
    public static VbloraConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    @JsonCreator
    static VbloraConfig fromJson(
            @JsonProperty("num_vectors") Integer numVectors,
            @JsonProperty("vector_length") Integer vectorLength,
            @JsonProperty("r") Integer r,
            @JsonProperty("topk") Integer topk,
            @JsonProperty("target_modules") TargetModules targetModules,
            @JsonProperty("layers_to_transform") List<Integer> layersToTransform,
            @JsonProperty("dropout") Double dropout,
            @JsonProperty("init_vector_bank_bound") Double initVectorBankBound,
            @JsonProperty("init_logits_std") Double initLogitsStd,
            @JsonProperty("lr_vector_bank") Double lrVectorBank,
            @JsonProperty("lr_logits") Double lrLogits,
            @JsonProperty("lr_head") Double lrHead,
            @JsonProperty("weight_decay_head") Double weightDecayHead,
            @JsonProperty("save_only_topk_weights") Boolean saveOnlyTopkWeights) {
        Builder b = builder();
        if (numVectors != null) b.numVectors(numVectors);
        if (vectorLength != null) b.vectorLength(vectorLength);
        if (r != null) b.r(r);
        if (topk != null) b.topk(topk);
        if (targetModules != null) b.targetModules(targetModules);
        b.layersToTransform(layersToTransform);
        if (dropout != null) b.dropout(dropout);
        if (initVectorBankBound != null) b.initVectorBankBound(initVectorBankBound);
        if (initLogitsStd != null) b.initLogitsStd(initLogitsStd);
        if (lrVectorBank != null) b.lrVectorBank(lrVectorBank);
        if (lrLogits != null) b.lrLogits(lrLogits);
        if (lrHead != null) b.lrHead(lrHead);
        if (weightDecayHead != null) b.weightDecayHead(weightDecayHead);
        if (saveOnlyTopkWeights != null) b.saveOnlyTopkWeights(saveOnlyTopkWeights);
        return b.build();
    }

    /** Whether the linear layer at this HF module path gets an adapter (target modules and layer filter). */
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

    /**
     * Checks this config against a model's linear layers and returns the ones it adapts. Fails when nothing is
     * adapted, when a requested layer does not exist, or when {@code vector_length} does not divide an adapted
     * layer's in or out features.
     */
    public List<ModuleShape> validateAgainst(List<ModuleShape> modules) {
        Checks.required("modules", modules);
        List<ModuleShape> adapted = new ArrayList<>();
        TreeSet<Integer> layersSeen = new TreeSet<>();
        for (ModuleShape m : modules) {
            TargetModules.layerIndex(m.path()).ifPresent(layersSeen::add);
            if (!adapts(m.path())) {
                continue;
            }
            if (m.in() % vectorLength != 0) {
                throw new ConfigException("vector_length", "vector_length " + vectorLength
                        + " does not divide the in features (" + m.in() + ") of module " + m.path());
            }
            if (m.out() % vectorLength != 0) {
                throw new ConfigException("vector_length", "vector_length " + vectorLength
                        + " does not divide the out features (" + m.out() + ") of module " + m.path());
            }
            adapted.add(m);
        }
        if (layersToTransform != null) {
            for (int l : layersToTransform) {
                if (!layersSeen.contains(l)) {
                    throw new ConfigException("layers_to_transform", "layer " + l + " does not exist; the model has layers "
                            + (layersSeen.isEmpty() ? "none" : layersSeen.first() + ".." + layersSeen.last()));
                }
            }
        }
        if (adapted.isEmpty()) {
            throw new ConfigException("target_modules", "'" + targetModules.spec() + "' matches no module of the model");
        }
        return List.copyOf(adapted);
    }

    public VbloraConfig withNumVectors(int v) { return toBuilder().numVectors(v).build(); }
    public VbloraConfig withVectorLength(int v) { return toBuilder().vectorLength(v).build(); }
    public VbloraConfig withR(int v) { return toBuilder().r(v).build(); }
    public VbloraConfig withTopk(int v) { return toBuilder().topk(v).build(); }
    public VbloraConfig withTargetModules(TargetModules v) { return toBuilder().targetModules(v).build(); }
    public VbloraConfig withLayersToTransform(List<Integer> v) { return toBuilder().layersToTransform(v).build(); }
    public VbloraConfig withDropout(double v) { return toBuilder().dropout(v).build(); }
    public VbloraConfig withInitVectorBankBound(double v) { return toBuilder().initVectorBankBound(v).build(); }
    public VbloraConfig withInitLogitsStd(double v) { return toBuilder().initLogitsStd(v).build(); }
    public VbloraConfig withLrVectorBank(double v) { return toBuilder().lrVectorBank(v).build(); }
    public VbloraConfig withLrLogits(double v) { return toBuilder().lrLogits(v).build(); }
    public VbloraConfig withLrHead(double v) { return toBuilder().lrHead(v).build(); }
    public VbloraConfig withWeightDecayHead(double v) { return toBuilder().weightDecayHead(v).build(); }
    public VbloraConfig withSaveOnlyTopkWeights(boolean v) { return toBuilder().saveOnlyTopkWeights(v).build(); }

    public static final class Builder {
        private int numVectors = DEFAULT_NUM_VECTORS;
        private int vectorLength = DEFAULT_VECTOR_LENGTH;
        private int r = DEFAULT_R;
        private int topk = DEFAULT_TOPK;
        private TargetModules targetModules = TargetModules.QV;
        private List<Integer> layersToTransform;
        private double dropout = DEFAULT_DROPOUT;
        private double initVectorBankBound = DEFAULT_INIT_VECTOR_BANK_BOUND;
        private double initLogitsStd = DEFAULT_INIT_LOGITS_STD;
        private double lrVectorBank = DEFAULT_LR_VECTOR_BANK;
        private double lrLogits = DEFAULT_LR_LOGITS;
        private double lrHead = DEFAULT_LR_HEAD;
        private double weightDecayHead = DEFAULT_WEIGHT_DECAY_HEAD;
        private boolean saveOnlyTopkWeights;

        private Builder() {
        }

        private Builder(VbloraConfig c) {
            numVectors = c.numVectors;
            vectorLength = c.vectorLength;
            r = c.r;
            topk = c.topk;
            targetModules = c.targetModules;
            layersToTransform = c.layersToTransform;
            dropout = c.dropout;
            initVectorBankBound = c.initVectorBankBound;
            initLogitsStd = c.initLogitsStd;
            lrVectorBank = c.lrVectorBank;
            lrLogits = c.lrLogits;
            lrHead = c.lrHead;
            weightDecayHead = c.weightDecayHead;
            saveOnlyTopkWeights = c.saveOnlyTopkWeights;
        }

        public Builder numVectors(int v) { numVectors = v; return this; }
        public Builder vectorLength(int v) { vectorLength = v; return this; }
        public Builder r(int v) { r = v; return this; }
        public Builder topk(int v) { topk = v; return this; }
        public Builder targetModules(TargetModules v) { targetModules = v; return this; }
        public Builder targetModules(String spec) { targetModules = TargetModules.parse(spec); return this; }
        public Builder layersToTransform(List<Integer> v) { layersToTransform = v; return this; }
        public Builder dropout(double v) { dropout = v; return this; }
        public Builder initVectorBankBound(double v) { initVectorBankBound = v; return this; }
        public Builder initLogitsStd(double v) { initLogitsStd = v; return this; }
        public Builder lrVectorBank(double v) { lrVectorBank = v; return this; }
        public Builder lrLogits(double v) { lrLogits = v; return this; }
        public Builder lrHead(double v) { lrHead = v; return this; }
        public Builder weightDecayHead(double v) { weightDecayHead = v; return this; }
        public Builder saveOnlyTopkWeights(boolean v) { saveOnlyTopkWeights = v; return this; }

        public VbloraConfig build() {
            return new VbloraConfig(numVectors, vectorLength, r, topk, targetModules, layersToTransform, dropout,
                    initVectorBankBound, initLogitsStd, lrVectorBank, lrLogits, lrHead, weightDecayHead,
                    saveOnlyTopkWeights);
        }
    }
}

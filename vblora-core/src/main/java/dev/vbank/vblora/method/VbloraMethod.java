package dev.vbank.vblora.method;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.vblora.config.ConfigJson;
import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.config.VbloraConfig;
import dev.vbank.vblora.format.AdapterStates;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.model.Adapter;
import dev.vbank.vblora.model.ParamGroup;
import dev.vbank.vblora.model.VbloraAdapter;
import dev.vbank.vblora.optim.AdamW;
import dev.vbank.vblora.optim.GroupSettings;

import java.util.List;
import java.util.Map;

/** VB-LoRA: a trainable vector bank and per-module logits; the paper's AdamW groups, no weight decay on bank or logits. */
public record VbloraMethod(VbloraConfig config) implements AdapterMethod {

    public VbloraMethod {
        if (config == null) {
            throw new IllegalArgumentException("vblora: config required for method vblora");
        }
    }

    @Override
    public String id() {
        return "vblora";
    }

    @Override
    public Adapter newAdapter(NDManager parent, List<ModuleShape> encoderModules, long seed) {
        return VbloraAdapter.create(parent, config, encoderModules, seed);
    }

    @Override
    public Adapter adapterFromState(NDManager parent, List<ModuleShape> encoderModules, Map<String, Tensor> state) {
        return VbloraAdapter.fromState(parent, config, encoderModules, state);
    }

    @Override
    public Map<ParamGroup, GroupSettings> optimizerGroups() {
        return AdamW.vbloraGroups(config.lrVectorBank(), config.lrLogits(), config.lrHead(), config.weightDecayHead());
    }

    @Override
    public AdapterWeights adapterWeights(Map<String, Tensor> state, AdapterStates.Meta meta) {
        return AdapterStates.vblora(config, state, meta);
    }

    @Override
    public void describe(ObjectNode spec) {
        spec.set("vblora", ConfigJson.toTree(config));
    }
}

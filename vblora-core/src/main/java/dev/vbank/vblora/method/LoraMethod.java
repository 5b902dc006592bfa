package dev.vbank.vblora.method;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.vblora.config.ConfigJson;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.format.AdapterStates;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.model.Adapter;
import dev.vbank.vblora.model.LoraAdapter;
import dev.vbank.vblora.model.ParamGroup;
import dev.vbank.vblora.optim.AdamW;
import dev.vbank.vblora.optim.GroupSettings;

import java.util.List;
import java.util.Map;

/** Classic LoRA: per-module A and B in one AdamW group without weight decay, and the head's group. */
public record LoraMethod(LoraConfig config) implements AdapterMethod {

    public LoraMethod {
        if (config == null) {
            throw new IllegalArgumentException("lora: config required for method lora");
        }
    }

    @Override
    public String id() {
        return "lora";
    }

    @Override
    public Adapter newAdapter(NDManager parent, List<ModuleShape> encoderModules, long seed) {
        return LoraAdapter.create(parent, config, encoderModules, seed);
    }

    @Override
    public Adapter adapterFromState(NDManager parent, List<ModuleShape> encoderModules, Map<String, Tensor> state) {
        return LoraAdapter.fromState(parent, config, encoderModules, state);
    }

    @Override
    public Map<ParamGroup, GroupSettings> optimizerGroups() {
        return AdamW.loraGroups(config.lrLora(), 0, config.lrHead(), config.weightDecayHead());
    }

    @Override
    public AdapterWeights adapterWeights(Map<String, Tensor> state, AdapterStates.Meta meta) {
        return AdapterStates.lora(config, state, meta);
    }

    @Override
    public void describe(ObjectNode spec) {
        spec.set("lora", ConfigJson.toTree(config));
    }
}

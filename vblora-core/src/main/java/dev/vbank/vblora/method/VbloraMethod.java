package dev.vbank.vblora.method;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.vblora.config.ConfigJson;
import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.config.VbloraConfig;
import dev.vbank.vblora.format.AdapterStates;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.SharedBank;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.model.Adapter;
import dev.vbank.vblora.model.ParamGroup;
import dev.vbank.vblora.model.VbloraAdapter;
import dev.vbank.vblora.optim.AdamW;
import dev.vbank.vblora.optim.GroupSettings;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * VB-LoRA: a trainable vector bank and per-module logits; the paper's AdamW groups, no weight decay on bank or logits.
 * With a {@code sharedBank} (a published bank) the bank is loaded frozen: only logits and head train, and the adapter it
 * saves references the bank instead of holding it.
 */
public record VbloraMethod(VbloraConfig config, SharedBank sharedBank) implements AdapterMethod {

    public VbloraMethod {
        if (config == null) {
            throw new IllegalArgumentException("vblora: config required for method vblora");
        }
        if (sharedBank != null && (sharedBank.numVectors() != config.numVectors()
                || sharedBank.vectorLength() != config.vectorLength())) {
            throw new IllegalArgumentException("vector_bank: bank " + sharedBank.ref().id() + " is ("
                    + sharedBank.numVectors() + ", " + sharedBank.vectorLength() + "), the config asks for num_vectors "
                    + config.numVectors() + " and vector_length " + config.vectorLength());
        }
    }

    public VbloraMethod(VbloraConfig config) {
        this(config, null);
    }

    @Override
    public String id() {
        return "vblora";
    }

    @Override
    public Adapter newAdapter(NDManager parent, List<ModuleShape> encoderModules, long seed) {
        if (sharedBank != null) {
            return VbloraAdapter.createOnFrozenBank(parent, config, encoderModules, seed, sharedBank.bank());
        }
        return VbloraAdapter.create(parent, config, encoderModules, seed);
    }

    /** From saved state; on a shared bank the state's logits with the shared bank (frozen), whatever bank it held. */
    @Override
    public Adapter adapterFromState(NDManager parent, List<ModuleShape> encoderModules, Map<String, Tensor> state) {
        if (sharedBank != null) {
            Map<String, Tensor> s = new LinkedHashMap<>(state);
            s.put(VbloraAdapter.BANK, sharedBank.bank());
            return VbloraAdapter.fromState(parent, config, encoderModules, s).freezeBank();
        }
        return VbloraAdapter.fromState(parent, config, encoderModules, state);
    }

    @Override
    public Map<ParamGroup, GroupSettings> optimizerGroups() {
        Map<ParamGroup, GroupSettings> groups = AdamW.vbloraGroups(config.lrVectorBank(), config.lrLogits(),
                config.lrHead(), config.weightDecayHead());
        if (sharedBank != null) {
            groups.remove(ParamGroup.VECTOR_BANK);
        }
        return groups;
    }

    @Override
    public AdapterWeights adapterWeights(Map<String, Tensor> state, AdapterStates.Meta meta) {
        AdapterWeights a = AdapterStates.vblora(config, state, meta);
        if (sharedBank == null) {
            return a;
        }
        if (!java.util.Arrays.equals(a.vectorBank().data(), sharedBank.bank().data())) {
            throw new IllegalStateException("the frozen vector bank " + sharedBank.ref().id() + " changed in training");
        }
        return a.withBankRef(sharedBank.ref());
    }

    @Override
    public void describe(ObjectNode spec) {
        spec.set("vblora", ConfigJson.toTree(config));
        if (sharedBank != null) {
            ObjectNode vb = spec.putObject("vector_bank");
            vb.put("id", sharedBank.ref().id());
            vb.put("sha256", sharedBank.ref().sha256());
            vb.put("bank_mode", "frozen");
        }
    }
}

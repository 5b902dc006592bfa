package dev.vbank.vblora.method;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.config.VbloraConfig;
import dev.vbank.vblora.format.AdapterStates;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.model.Adapter;
import dev.vbank.vblora.model.NoAdapter;
import dev.vbank.vblora.model.ParamGroup;
import dev.vbank.vblora.optim.GroupSettings;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Trains the head alone; the encoder runs unchanged. */
public record HeadOnlyMethod(double headLr, double headWeightDecay) implements AdapterMethod {

    public HeadOnlyMethod {
        if (!(headLr > 0) || !(headWeightDecay >= 0)) {
            throw new IllegalArgumentException("head_lr must be > 0 and head_weight_decay >= 0");
        }
    }

    /** The head learning rate and weight decay VB-LoRA and LoRA use by default. */
    public static HeadOnlyMethod defaults() {
        return new HeadOnlyMethod(VbloraConfig.DEFAULT_LR_HEAD, VbloraConfig.DEFAULT_WEIGHT_DECAY_HEAD);
    }

    @Override
    public String id() {
        return "head_only";
    }

    @Override
    public Adapter newAdapter(NDManager parent, List<ModuleShape> encoderModules, long seed) {
        return new NoAdapter();
    }

    @Override
    public Adapter adapterFromState(NDManager parent, List<ModuleShape> encoderModules, Map<String, Tensor> state) {
        return new NoAdapter();
    }

    @Override
    public Map<ParamGroup, GroupSettings> optimizerGroups() {
        Map<ParamGroup, GroupSettings> groups = new EnumMap<>(ParamGroup.class);
        groups.put(ParamGroup.HEAD, new GroupSettings(headLr, headWeightDecay));
        return groups;
    }

    @Override
    public AdapterWeights adapterWeights(Map<String, Tensor> state, AdapterStates.Meta meta) {
        return AdapterStates.headOnly(state, meta);
    }

    @Override
    public void describe(ObjectNode spec) {
        spec.put("head_lr", headLr);
        spec.put("head_weight_decay", headWeightDecay);
    }
}

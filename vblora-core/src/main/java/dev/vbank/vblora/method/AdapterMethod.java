package dev.vbank.vblora.method;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.format.AdapterStates;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.model.Adapter;
import dev.vbank.vblora.model.ClassificationHead;
import dev.vbank.vblora.model.EncoderWeights;
import dev.vbank.vblora.model.ParamGroup;
import dev.vbank.vblora.model.Pooling;
import dev.vbank.vblora.optim.GroupSettings;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One way of fine-tuning a frozen encoder with a trainable head, holding its own hyper-parameters: it builds its adapter
 * (fresh or from saved state), gives the optimizer its parameter groups and turns a trained state into adapter weights.
 * A new method is one more implementation.
 */
public interface AdapterMethod {

    /** The method's id in specs, checkpoints and adapter provenance: {@code vblora}, {@code lora}, {@code head_only}. */
    String id();

    /** A fresh adapter on the encoder's linear modules, drawn from {@code seed}. */
    Adapter newAdapter(NDManager parent, List<ModuleShape> encoderModules, long seed);

    /** The adapter from a state it exported (see the adapters for names). */
    Adapter adapterFromState(NDManager parent, List<ModuleShape> encoderModules, Map<String, Tensor> state);

    /** AdamW learning rate and weight decay of each parameter group this method trains, the head's included. */
    Map<ParamGroup, GroupSettings> optimizerGroups();

    /** The adapter file's content for a trained state (adapter and head tensors). */
    AdapterWeights adapterWeights(Map<String, Tensor> state, AdapterStates.Meta meta);

    /** Writes the method's hyper-parameters into a run's spec record. */
    void describe(ObjectNode spec);

    /** A fresh adapter and head on {@code base}; the head is drawn from {@code seed + 1}. */
    default AdaptedEncoder create(NDManager parent, EncoderWeights base, int numLabels, Pooling pooling, long seed) {
        return withHead(base, newAdapter(parent, base.shape().linearModules(), seed),
                () -> ClassificationHead.create(parent, base.shape().hiddenSize(), numLabels, pooling, seed + 1));
    }

    /** Adapter and head from a state {@link AdaptedEncoder#exportState()} wrote. */
    default AdaptedEncoder restore(NDManager parent, EncoderWeights base, Pooling pooling, Map<String, Tensor> state) {
        return withHead(base, adapterFromState(parent, base.shape().linearModules(), state),
                () -> ClassificationHead.fromState(parent, base.shape().hiddenSize(), pooling, state));
    }

    /**
     * Continues from a stored adapter's state: its adapter, and its head when that has {@code numLabels} outputs, else a
     * fresh head drawn from {@code seed + 1} (an imported adapter may come without one, or for other labels).
     */
    default AdaptedEncoder continueFrom(NDManager parent, EncoderWeights base, int numLabels, Pooling pooling,
                                        Map<String, Tensor> state, long seed) {
        Tensor weight = state.get(ClassificationHead.WEIGHT);
        if (weight != null && weight.rank() == 2 && weight.dim(0) == numLabels) {
            return restore(parent, base, pooling, state);
        }
        return withHead(base, adapterFromState(parent, base.shape().linearModules(), state),
                () -> ClassificationHead.create(parent, base.shape().hiddenSize(), numLabels, pooling, seed + 1));
    }

    /** The model of {@code adapter} and the head {@code head} makes; the adapter is closed if the head cannot be made. */
    private static AdaptedEncoder withHead(EncoderWeights base, Adapter adapter, Supplier<ClassificationHead> head) {
        try {
            return new AdaptedEncoder(base, adapter, head.get());
        } catch (RuntimeException e) {
            adapter.close();
            throw e;
        }
    }
}

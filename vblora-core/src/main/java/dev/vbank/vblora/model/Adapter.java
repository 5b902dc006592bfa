package dev.vbank.vblora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.norm.Dropout;
import dev.vbank.vblora.format.Tensor;

import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/** Low-rank updates on some linear layers of the encoder. */
public interface Adapter extends AutoCloseable {

    AdapterKind kind();

    /** HF module paths that carry an update, in layer order. */
    List<String> modulePaths();

    List<TrainableParameter> parameters();

    /** Arrays a forward pass reads that training does not update (a frozen vector bank); attached to each step too. */
    default List<NDArray> frozenArrays() {
        return List.of();
    }

    /** Whether training may update this adapter (false when it was loaded without trainable state). */
    default boolean trainable() {
        return true;
    }

    /**
     * Prepares one forward pass (VB-LoRA composes every A and B here, once, in one batched op). Call it after the
     * parameters were attached to the step's manager.
     */
    Pass begin(boolean training);

    /** ΔW (out, in) of one module, scaling included; the caller closes it. */
    NDArray deltaWeight(String modulePath);

    /**
     * A (r, in) and B (out, r) of one module as a forward pass applies them, any scaling folded into B, so that
     * ΔW = B A; on this adapter's manager, the caller closes both.
     */
    NDArray[] factors(String modulePath);

    /** The adapter's trainable state as host tensors, keyed by HF-style names (see the implementations). */
    Map<String, Tensor> exportState();

    @Override
    void close();

    /** One forward pass's view of the adapter. */
    interface Pass {
        /** Whether {@code modulePath} carries a low-rank update in this pass. */
        boolean adapts(String modulePath);

        /**
         * {@code base} (the frozen layer's x Wᵀ + bias, which the caller computed) plus the module's low-rank update of
         * {@code x}; both fp32, the module one this pass {@link #adapts}. May add in place into {@code base}.
         */
        NDArray addUpdate(String modulePath, NDArray x, NDArray base);
    }

    /**
     * A pass over the modules in {@code modules}: each adds {@code update(module, x)} to the base output, with dropout
     * on x first when {@code dropout} is above 0.
     */
    static <M> Pass perModule(Map<String, M> modules, float dropout, BiFunction<M, NDArray, NDArray> update) {
        return new Pass() {
            @Override
            public boolean adapts(String modulePath) {
                return modules.containsKey(modulePath);
            }

            @Override
            public NDArray addUpdate(String modulePath, NDArray x, NDArray base) {
                M module = modules.get(modulePath);
                if (module == null) {
                    return base;
                }
                NDArray input = dropout > 0 ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
                return base.addi(update.apply(module, input));
            }
        };
    }

    Pass BASE_ONLY = new Pass() {
        @Override
        public boolean adapts(String modulePath) {
            return false;
        }

        @Override
        public NDArray addUpdate(String modulePath, NDArray x, NDArray base) {
            return base;
        }
    };
}

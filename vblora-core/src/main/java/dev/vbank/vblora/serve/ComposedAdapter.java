package dev.vbank.vblora.serve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.vbank.vblora.format.AdapterKind;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.model.Adapter;
import dev.vbank.vblora.model.AdapterLoader;
import dev.vbank.vblora.model.ClassificationHead;
import dev.vbank.vblora.model.EncoderShape;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An adapter ready to serve: composed once, by the engine's own adapter ({@link AdapterLoader#adapter}, VB-LoRA through
 * {@code VbloraOps}), into per-module low-rank factors A (r, in) and B (out, r) — LoRA with its alpha/r folded into B —
 * plus its head on the host. A head-only adapter has no
 * factors. Nothing is merged into the base: {@link MultiAdapterForward} adds {@code x·Aᵀ·Bᵀ} per row.
 */
public final class ComposedAdapter implements AutoCloseable {

    /** A module's factors: {@code a} (r, in), {@code b} (out, r), scaling included. */
    public record Factors(NDArray a, NDArray b, int rank) {
    }

    private final AdapterKind kind;
    private final NDManager manager;
    private final Map<String, Factors> factors;
    private final float[] headWeight;
    private final float[] headBias;
    private final int numOutputs;
    private final int hidden;
    private final long residentBytes;

    private ComposedAdapter(AdapterKind kind, NDManager manager, Map<String, Factors> factors, float[] headWeight,
                            float[] headBias, int numOutputs, int hidden) {
        this.kind = kind;
        this.manager = manager;
        this.factors = factors;
        this.headWeight = headWeight;
        this.headBias = headBias;
        this.numOutputs = numOutputs;
        this.hidden = hidden;
        long bytes = 4L * (headWeight.length + headBias.length);
        for (Factors f : factors.values()) {
            bytes += 4L * (f.a().size() + f.b().size());
        }
        this.residentBytes = bytes;
    }

    /**
     * Composes every adapted module of {@code weights} for an encoder of {@code shape}. Throws
     * {@link IllegalArgumentException} when a module or the head does not fit the encoder.
     */
    public static ComposedAdapter compose(NDManager parent, AdapterWeights weights, EncoderShape shape) {
        Tensor w = weights.head().get(ClassificationHead.WEIGHT);
        Tensor bias = weights.head().get(ClassificationHead.BIAS);
        if (w == null || bias == null) {
            throw new IllegalArgumentException("head: the adapter has no " + ClassificationHead.WEIGHT + "/"
                    + ClassificationHead.BIAS);
        }
        if (w.rank() != 2 || w.dim(1) != shape.hiddenSize()) {
            throw new IllegalArgumentException(ClassificationHead.WEIGHT + ": expected [num_labels, "
                    + shape.hiddenSize() + "], got " + w.shapeString());
        }
        bias.requireShape(ClassificationHead.BIAS, w.dim(0));
        NDManager manager = parent.newSubManager();
        Map<String, Factors> factors = new LinkedHashMap<>();
        // the engine's own adapter composes the factors (VbloraOps for VB-LoRA); only A and B are kept
        try (Adapter adapter = AdapterLoader.adapter(manager, shape.linearModules(), weights)) {
            for (String path : adapter.modulePaths()) {
                NDArray[] ab = adapter.factors(path);
                // own, compact copies: a composed factor may be a view that keeps every module's sub-vectors alive
                try (NDArray a = ab[0]; NDArray b = ab[1]) {
                    NDArray ownA = a.duplicate();
                    NDArray ownB = b.duplicate();
                    ownA.attach(manager);
                    ownB.attach(manager);
                    factors.put(path, new Factors(ownA, ownB, (int) ownA.getShape().get(0)));
                }
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        return new ComposedAdapter(weights.kind(), manager, Map.copyOf(factors), w.data().clone(),
                bias.data().clone(), (int) w.dim(0), shape.hiddenSize());
    }

    public AdapterKind kind() {
        return kind;
    }

    /** Factors by HF module path; empty for head-only. */
    public Map<String, Factors> factors() {
        return factors;
    }

    /** Outputs of the head: classes, or 1 for regression. */
    public int numOutputs() {
        return numOutputs;
    }

    /** Bytes of the composed factors and head (the arrays this adapter keeps alive). */
    public long residentBytes() {
        return residentBytes;
    }

    /** The head on one pooled vector (length = hidden size), accumulated in double. */
    public float[] head(float[] pooled, int offset) {
        float[] out = new float[numOutputs];
        for (int o = 0; o < numOutputs; o++) {
            double s = headBias[o];
            int row = o * hidden;
            for (int i = 0; i < hidden; i++) {
                s += (double) headWeight[row + i] * pooled[offset + i];
            }
            out[o] = (float) s;
        }
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}

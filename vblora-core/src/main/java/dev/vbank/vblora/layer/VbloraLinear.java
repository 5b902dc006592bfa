package dev.vbank.vblora.layer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.Random;

/**
 * One VB-LoRA-adapted linear layer: its own trainable logits_A (r, in/b, h) and logits_B (out/b, r, h), composed from a
 * bank that is passed in (the bank is shared by every adapted layer, so it is not owned here).
 */
public final class VbloraLinear {

    private final int inFeatures;
    private final int outFeatures;
    private final int rank;
    private final int topk;
    private final NDArray logitsA;
    private final NDArray logitsB;

    private VbloraLinear(int inFeatures, int outFeatures, int rank, int topk, NDArray logitsA, NDArray logitsB) {
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.rank = rank;
        this.topk = topk;
        this.logitsA = logitsA;
        this.logitsB = logitsB;
    }

    /**
     * Wraps existing logits (they are marked trainable) for a bank of vectors of length {@code vectorLength}; shapes are
     * checked against each other and against top-k.
     */
    public static VbloraLinear of(NDArray logitsA, NDArray logitsB, int vectorLength, int topk) {
        ShapeChecks.requirePositive("vector_length", vectorLength);
        Shape a = logitsA.getShape();
        Shape b = logitsB.getShape();
        if (a.dimension() != 3) {
            throw new IllegalArgumentException("logits_A: expected shape (r, in/b, h), got " + a);
        }
        if (b.dimension() != 3) {
            throw new IllegalArgumentException("logits_B: expected shape (out/b, r, h), got " + b);
        }
        if (a.get(0) != b.get(1)) {
            throw new IllegalArgumentException("logits_B: rank dim " + b.get(1) + " differs from logits_A rank " + a.get(0));
        }
        if (a.get(2) != b.get(2)) {
            throw new IllegalArgumentException("logits_B: bank dim " + b.get(2) + " differs from logits_A " + a.get(2));
        }
        if (topk < 1 || topk > a.get(2)) {
            throw new IllegalArgumentException("topk: must be in [1, " + a.get(2) + "], was " + topk);
        }
        logitsA.setRequiresGradient(true);
        logitsB.setRequiresGradient(true);
        return new VbloraLinear(Math.toIntExact(a.get(1) * vectorLength), Math.toIntExact(b.get(0) * vectorLength),
                (int) a.get(0), topk, logitsA, logitsB);
    }

    /** New logits drawn from N(0, logitsStd²) with the given generator, on {@code manager}. */
    public static VbloraLinear create(NDManager manager, int inFeatures, int outFeatures, int rank, int vectorLength,
                                      int numVectors, int topk, float logitsStd, Random random) {
        ShapeChecks.requireDivisible("in_features", inFeatures, vectorLength);
        ShapeChecks.requireDivisible("out_features", outFeatures, vectorLength);
        ShapeChecks.requirePositive("r", rank);
        if (topk < 1 || topk > numVectors) {
            throw new IllegalArgumentException("topk: must be in [1, num_vectors=" + numVectors + "], was " + topk);
        }
        Shape shapeA = new Shape(rank, inFeatures / vectorLength, numVectors);
        Shape shapeB = new Shape(outFeatures / vectorLength, rank, numVectors);
        NDArray a = OwnedArrays.of(manager, Init.normal(random, shapeA.size(), logitsStd), shapeA);
        NDArray b = OwnedArrays.of(manager, Init.normal(random, shapeB.size(), logitsStd), shapeB);
        a.setRequiresGradient(true);
        b.setRequiresGradient(true);
        return new VbloraLinear(inFeatures, outFeatures, rank, topk, a, b);
    }

    public NDArray logitsA() {
        return logitsA;
    }

    public NDArray logitsB() {
        return logitsB;
    }

    public int rank() {
        return rank;
    }

    public int topk() {
        return topk;
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    public NDArray composeA(NDArray bank) {
        return VbloraOps.composeA(bank, logitsA, topk);
    }

    public NDArray composeB(NDArray bank) {
        return VbloraOps.composeB(bank, logitsB, topk);
    }

    /** y = x Wᵀ + bias + (x Aᵀ) Bᵀ, composing A and B from the bank on the way (both differentiable). */
    public NDArray forward(NDArray bank, NDArray x, NDArray weight, NDArray bias) {
        try (NDArray a = composeA(bank); NDArray b = composeB(bank)) {
            return VbloraOps.adaptedLinear(x, weight, bias, a, b);
        }
    }

    /** ΔW = B A (out, in) for merging. */
    public NDArray deltaWeight(NDArray bank) {
        try (NDArray a = composeA(bank); NDArray b = composeB(bank)) {
            return VbloraOps.deltaWeight(a, b);
        }
    }

    public TopkSelection topkA() {
        return VbloraOps.topk(logitsA, topk);
    }

    public TopkSelection topkB() {
        return VbloraOps.topk(logitsB, topk);
    }
}

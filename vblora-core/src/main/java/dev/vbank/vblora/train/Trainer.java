package dev.vbank.vblora.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.model.Batch;
import dev.vbank.vblora.optim.AdamW;

import java.util.List;

/**
 * Runs optimizer steps, each over one or more micro-batches whose gradients accumulate. A step's arrays live in a fresh
 * sub-manager of {@code parent} (each micro-batch in a sub-manager of that) closed at the end, so the number of live
 * arrays stays flat however many steps run.
 */
public final class Trainer {

    /** Loss of the step's batches before the update (weighted as given), and what the optimizer did. */
    public record StepResult(float loss, AdamW.StepStats stats) {
    }

    /**
     * One micro-batch of a step: {@code weight} is its share of the step's loss (its rows / the step's rows), and
     * {@code rngSeed}, when not null, seeds libtorch's generator before its forward pass so its dropout masks depend on
     * that seed alone.
     */
    public record MicroBatch(Batch batch, float weight, Integer rngSeed) {
    }

    private final NDManager parent;
    private final AdaptedEncoder model;
    private final AdamW optimizer;

    public Trainer(NDManager parent, AdaptedEncoder model, AdamW optimizer) {
        this.parent = parent;
        this.model = model;
        this.optimizer = optimizer;
    }

    /** Seeds libtorch's generator (adapter dropout); parameter init is seeded separately by the factories. */
    public static void seed(long seed) {
        Engine.getEngine("PyTorch").setRandomSeed((int) seed);
    }

    /** One optimizer step on a single batch. */
    public StepResult step(Batch batch) {
        return step(List.of(new MicroBatch(batch, 1f, null)));
    }

    /**
     * One optimizer step over {@code microBatches}: the gradient of Σ weight · loss, accumulated one micro-batch at a time.
     * A non-finite loss drops the accumulated gradients and throws before the update.
     */
    public StepResult step(List<MicroBatch> microBatches) {
        double loss = 0;
        try (NDManager step = parent.newSubManager()) {
            for (MicroBatch micro : microBatches) {
                if (micro.rngSeed() != null) {
                    Engine.getEngine("PyTorch").setRandomSeed(micro.rngSeed());
                }
                try (NDManager mm = step.newSubManager();
                     GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                    NDArray logits = model.forward(mm, micro.batch(), true);
                    NDArray l = model.loss(mm, micro.batch(), logits);
                    float value = l.getFloat();
                    if (!Float.isFinite(value)) {
                        optimizer.zeroGradients();
                        throw new IllegalStateException("loss is not finite (" + value + ") at step "
                                + (optimizer.stepCount() + 1));
                    }
                    collector.backward(micro.weight() == 1f ? l : l.mul(micro.weight()));
                    loss += (double) value * micro.weight();
                }
            }
            AdamW.StepStats stats = optimizer.step(step);
            return new StepResult((float) loss, stats);
        }
    }

    /** Mean loss of a labelled batch without gradients or updates. */
    public float evaluate(Batch batch) {
        try (NDManager step = parent.newSubManager()) {
            NDArray logits = model.forward(step, batch, false);
            return model.loss(step, batch, logits).getFloat();
        }
    }
}

package dev.vbank.vblora.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.model.Batch;
import dev.vbank.vblora.optim.AdamW;

/**
 * Runs training steps: each step's arrays live in a fresh sub-manager of {@code parent} that is closed at the end, so the
 * number of live arrays stays flat however many steps run.
 */
public final class Trainer {

    /** Loss of the batch before the update, and what the optimizer did. */
    public record StepResult(float loss, AdamW.StepStats stats) {
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

    public StepResult step(Batch batch) {
        try (NDManager step = parent.newSubManager()) {
            NDArray loss;
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray logits = model.forward(step, batch, true);
                loss = model.loss(step, batch, logits);
                collector.backward(loss);
            }
            float value = loss.getFloat();
            if (!Float.isFinite(value)) {
                optimizer.zeroGradients();
                throw new IllegalStateException("loss is not finite (" + value + ") at step " + (optimizer.stepCount() + 1));
            }
            AdamW.StepStats stats = optimizer.step(step);
            return new StepResult(value, stats);
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

package dev.vbank.text.train;

/** Called on the training thread: after each optimizer step, after each evaluation, after each checkpoint. */
public interface ProgressListener {
    ProgressListener NONE = new ProgressListener() {
    };

    default void onStep(Progress p) {
    }

    default void onEvaluation(long step, Evaluation e) {
    }

    default void onCheckpoint(long step, java.nio.file.Path dir) {
    }
}

package dev.vbank.vblora.optim;

/** Base learning rate and decoupled weight decay of one parameter group. */
public record GroupSettings(double learningRate, double weightDecay) {

    public GroupSettings {
        if (!(learningRate >= 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("learning_rate: must be finite and >= 0, was " + learningRate);
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new IllegalArgumentException("weight_decay: must be finite and >= 0, was " + weightDecay);
        }
    }
}

package dev.vbank.vblora.optim;

/**
 * Learning-rate multiplier per optimizer step (0-based), as in Hugging Face's {@code get_*_schedule_with_warmup}: linear
 * warm-up from 0 over {@code warmupSteps}, then constant, linear decay to 0 at {@code totalSteps}, or half-cosine to 0.
 */
public record LrSchedule(Kind kind, int warmupSteps, int totalSteps) {

    public enum Kind { CONSTANT, LINEAR, COSINE }

    public LrSchedule {
        if (kind == null) {
            throw new IllegalArgumentException("lr_scheduler_type: required");
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmup_steps: must be >= 0, was " + warmupSteps);
        }
        if (kind != Kind.CONSTANT && totalSteps < 1) {
            throw new IllegalArgumentException("total_steps: must be >= 1 for a " + kind + " schedule, was " + totalSteps);
        }
        if (kind != Kind.CONSTANT && warmupSteps > totalSteps) {
            throw new IllegalArgumentException("warmup_steps: " + warmupSteps + " exceeds total_steps " + totalSteps);
        }
    }

    public static LrSchedule constant() {
        return new LrSchedule(Kind.CONSTANT, 0, 0);
    }

    public static LrSchedule linear(int warmupSteps, int totalSteps) {
        return new LrSchedule(Kind.LINEAR, warmupSteps, totalSteps);
    }

    public static LrSchedule cosine(int warmupSteps, int totalSteps) {
        return new LrSchedule(Kind.COSINE, warmupSteps, totalSteps);
    }

    public double factor(long step) {
        if (step < warmupSteps) {
            return (double) step / Math.max(1, warmupSteps);
        }
        if (kind == Kind.CONSTANT) {
            return 1.0;
        }
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        if (kind == Kind.LINEAR) {
            return Math.max(0.0, 1.0 - progress);
        }
        return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * Math.min(1.0, progress))));
    }
}

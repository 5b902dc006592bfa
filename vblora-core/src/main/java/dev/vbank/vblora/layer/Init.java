package dev.vbank.vblora.layer;

import java.util.Random;

/** Seeded initialisers that fill Java arrays, so every run with the same seed starts from the same weights. */
public final class Init {

    private Init() {
    }

    public static float[] normal(Random random, long count, double std) {
        float[] out = new float[Math.toIntExact(count)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (random.nextGaussian() * std);
        }
        return out;
    }

    public static float[] uniform(Random random, long count, double bound) {
        float[] out = new float[Math.toIntExact(count)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
        return out;
    }
}

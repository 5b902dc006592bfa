package dev.vbank.vblora.config;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

final class Checks {
    private Checks() {
    }

    static int atLeast1(String field, int v) {
        if (v < 1) {
            throw new ConfigException(field, "must be >= 1, was " + v);
        }
        return v;
    }

    static double finiteNonNegative(String field, double v) {
        if (!Double.isFinite(v)) {
            throw new ConfigException(field, "must be a finite number, was " + v);
        }
        if (v < 0) {
            throw new ConfigException(field, "must not be negative, was " + v);
        }
        return v;
    }

    static double finitePositive(String field, double v) {
        finiteNonNegative(field, v);
        if (v == 0) {
            throw new ConfigException(field, "must be > 0, was " + v);
        }
        return v;
    }

    static double probability(String field, double v) {
        finiteNonNegative(field, v);
        if (v >= 1) {
            throw new ConfigException(field, "must be in [0, 1), was " + v);
        }
        return v;
    }

    static List<Integer> layers(String field, List<Integer> layers) {
        if (layers == null) {
            return null;
        }
        if (layers.isEmpty()) {
            throw new ConfigException(field, "must be null (all layers) or non-empty");
        }
        Set<Integer> seen = new HashSet<>();
        for (Integer l : layers) {
            if (l == null || l < 0) {
                throw new ConfigException(field, "layer indices must be >= 0, was " + l);
            }
            if (!seen.add(l)) {
                throw new ConfigException(field, "duplicate layer index " + l);
            }
        }
        return List.copyOf(layers);
    }

    static <T> T required(String field, T v) {
        if (v == null) {
            throw new ConfigException(field, "is required");
        }
        return v;
    }
}

package dev.vbank.vblora.layer;

/** Argument checks whose messages name the offending field. */
public final class ShapeChecks {

    private ShapeChecks() {
    }

    public static void requirePositive(String field, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(field + ": must be >= 1, was " + value);
        }
    }

    public static void requireDivisible(String field, long features, long vectorLength) {
        requirePositive(field, features);
        requirePositive("vector_length", vectorLength);
        if (features % vectorLength != 0) {
            throw new IllegalArgumentException(field + ": " + features + " is not divisible by vector_length "
                    + vectorLength + " (VB-LoRA splits every row into sub-vectors of that length)");
        }
    }
}

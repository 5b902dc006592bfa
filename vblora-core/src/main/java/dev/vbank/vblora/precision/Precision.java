package dev.vbank.vblora.precision;

import java.util.Arrays;
import java.util.Locale;

/**
 * The floating-point format a training run computes the frozen base model's matrix products in. Adapter parameters,
 * their optimizer state, gradients, layer norms, softmax and the loss stay fp32 in every mode (mixed precision with fp32
 * master weights); evaluation and serving run in fp32, so reported metrics describe the adapter as stored.
 */
public enum Precision {
    FP32,
    /** The base's linear layers in bfloat16 (AMX/AVX-512 BF16 where the CPU has them); needs {@link NativeCasts}. */
    BF16;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Precision fromWireName(String name) {
        for (Precision p : values()) {
            if (p.wireName().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("precision: '" + name + "' is not one of "
                + Arrays.stream(values()).map(Precision::wireName).toList());
    }
}

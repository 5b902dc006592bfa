package dev.vbank.text.model;

import java.util.Arrays;

/** A dense fp32 tensor in row-major order, named as in the Hugging Face BERT state dict. */
public record FloatTensor(String name, int[] shape, float[] data) {
    public FloatTensor {
        long n = elementCount(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape)
                    + " needs " + n + " values, got " + data.length);
        }
        shape = shape.clone();
    }

    static long elementCount(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n *= d;
        }
        return n;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public long[] longShape() {
        return java.util.Arrays.stream(shape).asLongStream().toArray();
    }

    /** Name → values, in map order; the form vblora-core's {@code EncoderWeights.fromArrays} takes with {@link #shapes}. */
    public static java.util.Map<String, float[]> values(java.util.Map<String, FloatTensor> tensors) {
        java.util.Map<String, float[]> out = new java.util.LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, v.data()));
        return out;
    }

    /** Name → shape as long[], in map order. */
    public static java.util.Map<String, long[]> shapes(java.util.Map<String, FloatTensor> tensors) {
        java.util.Map<String, long[]> out = new java.util.LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, v.longShape()));
        return out;
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int i) {
        return shape[i];
    }

    /** Element (row, col) of a rank-2 tensor. */
    public float get(int row, int col) {
        if (shape.length != 2) {
            throw new IllegalStateException("tensor " + name + " has rank " + shape.length + ", not 2");
        }
        return data[row * shape[1] + col];
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}

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

package dev.vbank.text.tokenize;

/**
 * A padded batch in row-major [size, length] layout, as the encoder consumes it.
 * Padding positions hold the pad id, mask 0 and token type 0.
 */
public record Batch(int size, int length, long[] inputIds, long[] attentionMask, long[] tokenTypeIds) {
    public Batch {
        long n = (long) size * length;
        if (inputIds.length != n || attentionMask.length != n || tokenTypeIds.length != n) {
            throw new IllegalArgumentException("batch arrays must hold " + size + " x " + length + " values");
        }
    }

    public long inputId(int row, int col) {
        return inputIds[row * length + col];
    }

    public long mask(int row, int col) {
        return attentionMask[row * length + col];
    }

    public long tokenType(int row, int col) {
        return tokenTypeIds[row * length + col];
    }

    public long[][] inputIds2d() {
        return rows(inputIds);
    }

    public long[][] attentionMask2d() {
        return rows(attentionMask);
    }

    public long[][] tokenTypeIds2d() {
        return rows(tokenTypeIds);
    }

    public int[] inputIdsInt() {
        return toInt(inputIds);
    }

    public int[] attentionMaskInt() {
        return toInt(attentionMask);
    }

    public int[] tokenTypeIdsInt() {
        return toInt(tokenTypeIds);
    }

    private long[][] rows(long[] flat) {
        long[][] out = new long[size][];
        for (int r = 0; r < size; r++) {
            out[r] = java.util.Arrays.copyOfRange(flat, r * length, (r + 1) * length);
        }
        return out;
    }

    private static int[] toInt(long[] a) {
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = Math.toIntExact(a[i]);
        }
        return out;
    }
}

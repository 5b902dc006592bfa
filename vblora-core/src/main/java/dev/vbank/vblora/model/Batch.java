package dev.vbank.vblora.model;

/**
 * A padded batch of token ids, row-major (size × seqLen). {@code tokenTypeIds} may be null (all zero). {@code labels} may be
 * null for prediction; for classification they hold class indices, for regression (one output) the targets.
 */
public record Batch(int size, int seqLen, long[] inputIds, long[] attentionMask, long[] tokenTypeIds, float[] labels) {

    public Batch {
        if (size < 1) {
            throw new IllegalArgumentException("batch size: must be >= 1, was " + size);
        }
        if (seqLen < 1) {
            throw new IllegalArgumentException("seq_len: must be >= 1, was " + seqLen);
        }
        long n = (long) size * seqLen;
        check("input_ids", inputIds, n);
        check("attention_mask", attentionMask, n);
        if (tokenTypeIds != null) {
            check("token_type_ids", tokenTypeIds, n);
        }
        if (labels != null && labels.length != size) {
            throw new IllegalArgumentException("labels: expected " + size + " values, got " + labels.length);
        }
    }

    private static void check(String field, long[] values, long n) {
        if (values == null) {
            throw new IllegalArgumentException(field + ": required");
        }
        if (values.length != n) {
            throw new IllegalArgumentException(field + ": expected " + n + " values (size × seq_len), got "
                    + values.length);
        }
    }
}

package dev.vbank.text.tokenize;

/** One tokenized text (or text pair), unpadded: ids with special tokens, mask of ones, segment ids (0 = first text). */
public record Encoding(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, String[] tokens, boolean truncated) {
    public int length() {
        return inputIds.length;
    }
}

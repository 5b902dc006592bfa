package dev.vbank.text.tokenize;

/** How a batch is padded. */
public enum Padding {
    /** To the longest sequence in the batch (less work for short texts). */
    LONGEST,
    /** To the tokenizer's maximum length (fixed shapes). */
    MAX_LENGTH
}

package dev.vbank.vblora.model;

/** How token states become one vector per sequence. */
public enum Pooling {
    /** Average over the tokens the attention mask keeps (sentence-transformers style). */
    MEAN,
    /** The first token's state ([CLS]). */
    CLS
}

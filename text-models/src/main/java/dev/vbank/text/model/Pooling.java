package dev.vbank.text.model;

/** How a sentence vector is taken from the encoder's last hidden state, as each model was trained. */
public enum Pooling {
    /** Mean of the token vectors where attention_mask is 1. */
    MEAN,
    /** The vector of the first ([CLS]) token. */
    CLS
}

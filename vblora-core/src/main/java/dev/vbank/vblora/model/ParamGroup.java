package dev.vbank.vblora.model;

/** Optimizer groups: each has its own learning rate and weight decay. */
public enum ParamGroup {
    VECTOR_BANK, LOGITS, LORA, HEAD
}

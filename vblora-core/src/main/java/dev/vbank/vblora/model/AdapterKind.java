package dev.vbank.vblora.model;

/** What is trained besides the head. */
public enum AdapterKind {
    /** One vector bank shared by all adapted modules; per-module top-k logits. */
    VBLORA,
    /** Classic LoRA: per-module A (r, in) and B (out, r), scaled by alpha / r. */
    LORA,
    /** Only the classification/regression head. */
    HEAD_ONLY
}

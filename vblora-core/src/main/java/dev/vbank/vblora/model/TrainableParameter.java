package dev.vbank.vblora.model;

import ai.djl.ndarray.NDArray;

/** A trainable array, its state-dict name and its optimizer group. */
public record TrainableParameter(String name, NDArray array, ParamGroup group) {
}

package dev.vbank.vblora.model;

import ai.djl.ndarray.NDArray;
import dev.vbank.vblora.format.Tensor;

import java.util.List;
import java.util.Map;

/** Head-only training: the encoder runs unchanged. */
public final class NoAdapter implements Adapter {

    @Override
    public AdapterKind kind() {
        return AdapterKind.HEAD_ONLY;
    }

    @Override
    public List<String> modulePaths() {
        return List.of();
    }

    @Override
    public List<TrainableParameter> parameters() {
        return List.of();
    }

    @Override
    public Pass begin(boolean training) {
        return BASE_ONLY;
    }

    @Override
    public NDArray deltaWeight(String modulePath) {
        throw new IllegalArgumentException(modulePath + ": head-only training adapts no module");
    }

    @Override
    public NDArray[] factors(String modulePath) {
        throw new IllegalArgumentException(modulePath + ": head-only training adapts no module");
    }

    @Override
    public Map<String, Tensor> exportState() {
        return Map.of();
    }

    @Override
    public void close() {
    }
}

package dev.vbank.vblora.config;

/**
 * One adaptable linear layer: its Hugging Face module path (e.g. {@code encoder.layer.3.attention.self.query}) and its
 * input/output features (the weight is {@code out × in}).
 */
public record ModuleShape(String path, int in, int out) {
    public ModuleShape {
        if (path == null || path.isBlank()) {
            throw new ConfigException("module_path", "must not be blank");
        }
        if (in < 1) {
            throw new ConfigException("in_features", "must be >= 1 for module " + path + ", was " + in);
        }
        if (out < 1) {
            throw new ConfigException("out_features", "must be >= 1 for module " + path + ", was " + out);
        }
    }
}

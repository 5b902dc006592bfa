package dev.vbank.vblora.format;

/** One LoRA-adapted linear layer: A (r, in), B (out, r). */
public record LoraModule(String path, int in, int out, Tensor a, Tensor b) {
    public LoraModule {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("module path is required");
        }
        if (a == null || b == null || a.rank() != 2 || b.rank() != 2) {
            throw new IllegalArgumentException(path + ": lora_A and lora_B must be 2-d");
        }
        a.requireShape(path + " lora_A", a.dim(0), in);
        b.requireShape(path + " lora_B", out, a.dim(0));
    }

    public int r() {
        return (int) a.dim(0);
    }
}

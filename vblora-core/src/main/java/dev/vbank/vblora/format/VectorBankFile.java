package dev.vbank.vblora.format;

import java.util.List;
import java.util.Map;

/**
 * A published vector bank as bytes: a safetensors file with one F32 tensor {@value #TENSOR} (h, b) and metadata
 * {@code format = vbank-vector-bank}. Its sha256 is the bank's content address: the same values give the same bytes.
 */
public final class VectorBankFile {
    public static final String TENSOR = "vblora_vector_bank";
    public static final String FORMAT = "vbank-vector-bank";

    private VectorBankFile() {
    }

    public static byte[] write(Tensor bank) {
        if (bank.rank() != 2) {
            throw new IllegalArgumentException("vector bank must be (h, b), got " + bank.shapeString());
        }
        return Safetensors.write(Map.of("format", FORMAT), List.of(Safetensors.Entry.f32(TENSOR, bank)));
    }

    public static Tensor read(byte[] file) {
        Safetensors.Contents c = Safetensors.read(file);
        if (!FORMAT.equals(c.metadata().get("format"))) {
            throw new FormatException("not a vbank vector bank file (metadata format is " + c.metadata().get("format") + ")");
        }
        if (c.tensors().size() != 1) {
            throw new FormatException("vector bank file must hold exactly one tensor, has " + c.tensors().keySet());
        }
        Safetensors.Entry e = c.require(TENSOR);
        if (e.shape().length != 2 || e.dtype() != Safetensors.DType.F32) {
            throw new FormatException("vector bank tensor must be F32 (h, b), got " + e);
        }
        Tensor t = e.toTensor();
        for (float f : t.data()) {
            if (!Float.isFinite(f)) {
                throw new FormatException("vector bank holds a non-finite value");
            }
        }
        return t;
    }

    public static String sha256(byte[] file) {
        return CompactFormat.sha256(file);
    }
}

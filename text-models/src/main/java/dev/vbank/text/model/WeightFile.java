package dev.vbank.text.model;

import dev.vbank.vblora.format.FormatException;
import dev.vbank.vblora.format.Safetensors;
import dev.vbank.vblora.format.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The native weight file: a safetensors file (read and written by the engine's one strict {@link Safetensors} reader),
 * so that Python tools can open it too, holding F32 tensors only, with the payload's sha256 in
 * {@code __metadata__.payload_sha256}. Reading verifies the layout and the checksum before returning anything.
 */
public final class WeightFile {
    public static final String FORMAT = "vbank-weights";

    /** A loaded file: tensors in file order and the header metadata. */
    public record Contents(Map<String, FloatTensor> tensors, Map<String, String> metadata) {
        public String payloadSha256() {
            return metadata.get("payload_sha256");
        }
    }

    private WeightFile() {}

    /** Writes the tensors (in map order) and returns the payload sha256. Extra metadata entries are kept as strings. */
    public static String write(Path file, Map<String, FloatTensor> tensors, Map<String, String> metadata) throws IOException {
        MessageDigest sha = sha256();
        List<Safetensors.Entry> entries = new ArrayList<>(tensors.size());
        for (FloatTensor t : tensors.values()) {
            Safetensors.Entry e = Safetensors.Entry.f32(t.name(), new Tensor(t.longShape(), t.data()));
            sha.update(e.data());
            entries.add(e);
        }
        String digest = HexFormat.of().formatHex(sha.digest());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("version", "1");
        meta.putAll(metadata);
        meta.put("payload_sha256", digest);
        Safetensors.write(file, meta, entries);
        return digest;
    }

    /** Reads and verifies a file; {@code expectedSha256} (nullable) must equal the payload's sha256 when given. */
    public static Contents read(Path file, String expectedSha256) throws IOException {
        Safetensors.Contents contents;
        try {
            contents = Safetensors.read(file);
        } catch (FormatException e) {
            throw corrupt(file, e.getMessage());
        }
        Map<String, String> metadata = contents.metadata();
        if (!FORMAT.equals(metadata.get("format"))) {
            throw corrupt(file, "__metadata__.format is " + metadata.get("format") + ", expected " + FORMAT);
        }
        String recorded = metadata.get("payload_sha256");
        if (recorded == null) {
            throw corrupt(file, "__metadata__.payload_sha256 is missing");
        }
        if (expectedSha256 != null && !expectedSha256.equalsIgnoreCase(recorded)) {
            throw corrupt(file, "header records payload sha256 " + recorded + ", expected " + expectedSha256);
        }
        // the strict reader returns the tensors in buffer order and rejects holes, so they concatenate to the payload
        MessageDigest sha = sha256();
        for (Safetensors.Entry e : contents.tensors().values()) {
            sha.update(e.data());
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (!actual.equalsIgnoreCase(recorded)) {
            throw corrupt(file, "payload sha256 is " + actual + " but the header records " + recorded);
        }
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        for (Safetensors.Entry e : contents.tensors().values()) {
            if (e.dtype() != Safetensors.DType.F32) {
                throw corrupt(file, "tensor " + e.name() + " has dtype " + e.dtype() + ", only F32 is supported");
            }
            long[] dims = e.shape();
            int[] shape = new int[dims.length];
            for (int i = 0; i < dims.length; i++) {
                shape[i] = Math.toIntExact(dims[i]);
            }
            tensors.put(e.name(), new FloatTensor(e.name(), shape, e.toTensor().data()));
        }
        return new Contents(tensors, metadata);
    }

    public static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static WeightFileException corrupt(Path file, String msg) {
        return new WeightFileException(file + ": " + msg);
    }
}

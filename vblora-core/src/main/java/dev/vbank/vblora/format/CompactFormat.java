package dev.vbank.vblora.format;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.vblora.config.ConfigJson;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.VbloraConfig;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * vbank's native adapter file: the smallest faithful form of a trained adapter, for storage and serving.
 * <pre>
 *   bytes 0..7    magic "VBNKADPT"
 *   bytes 8..11   container version, uint32 LE (1)
 *   bytes 12..15  manifest length M, uint32 LE
 *   bytes 16..47  sha256 of the manifest bytes
 *   M bytes       manifest, UTF-8 JSON
 *   rest          payload: the tensors listed in the manifest, back to back
 * </pre>
 * The manifest records the adapter kind, base model id and weight checksum, config, adapted modules with shapes, task
 * type, labels, provenance, a table of payload tensors (name, dtype, shape, offset, length) and the payload's length
 * and sha256, so every byte after the preamble is covered by a checksum. A VB-LoRA adapter stores the bank (F32 or F16), then one (S, k) tensor of top-k indices (U8 when h ≤ 256,
 * U16 when h ≤ 65536) and one (S, k−1) tensor of the leading softmax weights (F32 or F16; the last is 1 − Σ) over all
 * S sub-vectors — module by module in manifest order, A's r·in/b rows then B's out/b·r rows — and the head in F32.
 * One tensor per kind keeps the manifest small next to a payload of a few tens of kilobytes. That top-k form is written
 * when the config says {@code save_only_topk_weights} (it can be merged or evaluated, not trained further); otherwise, as
 * PEFT does by default, the logits are kept instead ({@code logits_A:<path>} (r, in/b, h) and {@code logits_B:<path>}
 * (out/b, r, h), F32, no top-k tensors), and a reader tells the two apart by the presence of {@code topk_indices}.
 * LoRA stores A and B; head_only the head.
 * <p>
 * <b>Bank-referencing adapters</b> (trained against a published, frozen bank; {@link AdapterWeights#bankRef()} set) are
 * written as container version 2: the manifest is deflate-compressed (the preamble's length and sha256 are those of the
 * compressed bytes) and carries {@code vector_bank: {id, sha256}}; the payload holds no bank and always the top-k form
 * (indices, k−1 weights) and the head, in the precisions of {@link Options}. Reading one needs the bank:
 * {@link #read(byte[], BankSource)} resolves it and checks its sha256; {@link #read(byte[])} throws
 * {@link BankRequiredException}. Version 1 files read as before.
 */
public final class CompactFormat {
    public static final byte[] MAGIC = "VBNKADPT".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    /** Container version of bank-referencing adapters: deflated manifest, no bank in the payload. */
    public static final int VERSION_BANK_REFERENCING = 2;
    static final int PREAMBLE = 48;
    static final long MAX_MANIFEST_BYTES = 64L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** Storage precision of floating-point payload tensors. */
    public enum Precision { F32, F16 }

    /**
     * @param bank precision of the vector bank (and of LoRA's A and B); @param weights precision of the top-k weights;
     * @param head precision of the head tensors
     */
    public record Options(Precision bank, Precision weights, Precision head) {
        public static final Options FP32 = new Options(Precision.F32, Precision.F32);
        public static final Options FP16 = new Options(Precision.F16, Precision.F16);
        /** What bank-referencing adapters are stored with: top-k weights and head in fp16 (see docs/RESULTS.md). */
        public static final Options SHARED_BANK = new Options(Precision.F32, Precision.F16, Precision.F16);
        /**
         * What trained adapters with their own bank are stored with: bank (LoRA's A and B), top-k weights and head in
         * fp16; kept logits stay fp32. Over the 42 runs of docs/RESULTS.md no accuracy changed.
         */
        public static final Options TRAINED = new Options(Precision.F16, Precision.F16, Precision.F16);

        /** The head in F32. */
        public Options(Precision bank, Precision weights) {
            this(bank, weights, Precision.F32);
        }
    }

    /** Supplies the bank file of a referenced bank (the reader checks its sha256 against the reference). */
    @FunctionalInterface
    public interface BankSource {
        byte[] bankFile(BankRef ref);
    }

    /** A bank-referencing adapter was read without a way to get its bank. */
    public static final class BankRequiredException extends FormatException {
        private final transient BankRef ref;

        public BankRequiredException(BankRef ref) {
            super("compact adapter references vector bank " + ref.id() + " (sha256 " + ref.sha256()
                    + "); it can only be read with that bank");
            this.ref = ref;
        }

        public BankRef ref() {
            return ref;
        }
    }

    private CompactFormat() {
    }

    // ---------------------------------------------------------------- writing

    public static byte[] write(AdapterWeights a, Options opts) {
        Payload p = new Payload();
        ArrayNode modules = JSON.createArrayNode();
        switch (a.kind()) {
            case VBLORA -> {
                VbloraConfig c = a.vbloraConfig();
                int h = c.numVectors();
                String indexType = indexDtype(h);
                if (a.bankRef() == null) {
                    p.floats("bank", a.vectorBank(), opts.bank());
                }
                if (keepsLogits(a)) {
                    for (VbloraModule m : a.vbloraModules().values()) {
                        modules.add(moduleNode(m.path(), m.in(), m.out()));
                        p.floats("logits_A:" + m.path(), m.logitsA(), Precision.F32);
                        p.floats("logits_B:" + m.path(), m.logitsB(), Precision.F32);
                    }
                    break;
                }
                int k = c.topk();
                List<TopK> selections = new ArrayList<>();
                for (VbloraModule m : a.vbloraModules().values()) {
                    modules.add(moduleNode(m.path(), m.in(), m.out()));
                    selections.add(m.selectA(k));
                    selections.add(m.selectB(k));
                }
                int subVectors = selections.stream().mapToInt(TopK::subVectors).sum();
                int[] indices = new int[subVectors * k];
                float[] weights = new float[subVectors * (k - 1)];
                int s = 0;
                for (TopK t : selections) {
                    System.arraycopy(t.indices(), 0, indices, s * k, t.subVectors() * k);
                    System.arraycopy(t.leadingWeights(), 0, weights, s * (k - 1), t.subVectors() * (k - 1));
                    s += t.subVectors();
                }
                p.ints("topk_indices", indexType, new long[]{subVectors, k}, indices);
                p.floats("topk_weights", new Tensor(new long[]{subVectors, k - 1}, weights), opts.weights());
            }
            case LORA -> {
                for (LoraModule m : a.loraModules().values()) {
                    modules.add(moduleNode(m.path(), m.in(), m.out()));
                    p.floats("lora_A:" + m.path(), m.a(), opts.bank());
                    p.floats("lora_B:" + m.path(), m.b(), opts.bank());
                }
            }
            case HEAD_ONLY -> {
            }
        }
        for (Map.Entry<String, Tensor> e : a.head().entrySet()) {
            p.floats("head:" + e.getKey(), e.getValue(), opts.head());
        }
        byte[] payload = p.bytes.toByteArray();

        ObjectNode man = JSON.createObjectNode();
        man.put("format", "vbank-adapter");
        int version = a.bankRef() == null ? VERSION : VERSION_BANK_REFERENCING;
        man.put("format_version", version);
        man.put("adapter_kind", a.kind().id());
        ObjectNode base = man.putObject("base_model");
        base.put("id", a.baseModelId());
        base.put("weights_sha256", a.baseWeightsSha256());
        switch (a.kind()) {
            case VBLORA -> man.set("config", ConfigJson.toTree(a.vbloraConfig()));
            case LORA -> man.set("config", ConfigJson.toTree(a.loraConfig()));
            case HEAD_ONLY -> man.putNull("config");
        }
        man.put("task_type", a.taskType());
        ArrayNode labels = man.putArray("labels");
        a.labels().forEach(labels::add);
        if (a.bankRef() != null) {
            ObjectNode vb = man.putObject("vector_bank");
            vb.put("id", a.bankRef().id());
            vb.put("sha256", a.bankRef().sha256());
        }
        man.set("modules", modules);
        ArrayNode head = man.putArray("head");
        a.head().keySet().forEach(head::add);
        ObjectNode prov = man.putObject("provenance");
        a.provenance().forEach(prov::put);
        man.set("tensors", p.table);
        man.put("payload_length", payload.length);
        man.put("payload_sha256", sha256(payload));
        byte[] manifest;
        try {
            manifest = JSON.writeValueAsBytes(man);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        if (version == VERSION_BANK_REFERENCING) {
            manifest = deflate(manifest);
        }
        ByteBuffer out = ByteBuffer.allocate(PREAMBLE + manifest.length + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).putInt(version).putInt(manifest.length).put(sha256Bytes(manifest)).put(manifest).put(payload);
        return out.array();
    }

    public static void write(AdapterWeights a, Options opts, Path file) throws IOException {
        Files.write(file, write(a, opts));
    }

    /**
     * A VB-LoRA adapter keeps its logits (fp32, so training can continue from it) unless its config asks for
     * {@code save_only_topk_weights} or it has none left to keep.
     */
    public static boolean keepsLogits(AdapterWeights a) {
        return a.kind() == AdapterKind.VBLORA && a.bankRef() == null && !a.vbloraConfig().saveOnlyTopkWeights()
                && a.trainable();
    }

    /**
     * The precisions a compact file was written with (F32 for a kind of array it does not hold), so that rewriting what
     * {@link #read} returns with them gives the same file.
     */
    public static Options storedOptions(byte[] file) {
        Precision bank = null;
        Precision weights = null;
        Precision head = null;
        for (JsonNode t : requireArray(parseManifest(file), "tensors")) {
            String name = requireText(t, "name");
            Precision p = switch (requireText(t, "dtype")) {
                case "F16" -> Precision.F16;
                case "F32" -> Precision.F32;
                default -> null;
            };
            if (p == null) {
                continue;
            }
            if (bank == null && (name.equals("bank") || name.startsWith("lora_A:") || name.startsWith("lora_B:"))) {
                bank = p;
            } else if (weights == null && name.equals("topk_weights")) {
                weights = p;
            } else if (head == null && name.startsWith("head:")) {
                head = p;
            }
        }
        return new Options(bank == null ? Precision.F32 : bank, weights == null ? Precision.F32 : weights,
                head == null ? Precision.F32 : head);
    }

    /** The bank a compact file references (container version 2), or null when it holds its own bank or none. */
    public static BankRef bankRef(byte[] file) {
        return bankRefOf(parseManifest(file));
    }

    static BankRef bankRefOf(JsonNode man) {
        JsonNode vb = man.get("vector_bank");
        if (vb == null || vb.isNull()) {
            return null;
        }
        try {
            return new BankRef(requireText(vb, "id"), requireText(vb, "sha256"));
        } catch (IllegalArgumentException e) {
            throw new FormatException("compact adapter manifest: vector_bank: " + e.getMessage(), e);
        }
    }

    private static byte[] deflate(byte[] data) {
        java.util.zip.Deflater d = new java.util.zip.Deflater(java.util.zip.Deflater.BEST_COMPRESSION, true);
        try {
            d.setInput(data);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    private static byte[] inflate(byte[] data) {
        java.util.zip.Inflater inf = new java.util.zip.Inflater(true);
        try {
            inf.setInput(data);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            while (!inf.finished()) {
                int n = inf.inflate(buf);
                if (n == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    throw new FormatException("compact adapter manifest: truncated deflate stream");
                }
                out.write(buf, 0, n);
                if (out.size() > MAX_MANIFEST_BYTES) {
                    throw new FormatException("compact adapter manifest inflates past " + MAX_MANIFEST_BYTES + " bytes");
                }
            }
            return out.toByteArray();
        } catch (java.util.zip.DataFormatException e) {
            throw new FormatException("compact adapter manifest: bad deflate stream: " + e.getMessage(), e);
        } finally {
            inf.end();
        }
    }

    static String indexDtype(int h) {
        if (h <= 256) {
            return "U8";
        }
        if (h <= 65536) {
            return "U16";
        }
        throw new IllegalArgumentException("compact format stores indices as uint16 at most; num_vectors " + h + " > 65536");
    }

    private static ObjectNode moduleNode(String path, int in, int out) {
        ObjectNode n = JSON.createObjectNode();
        n.put("path", path);
        n.put("in", in);
        n.put("out", out);
        return n;
    }

    private static final class Payload {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final ArrayNode table = JSON.createArrayNode();

        void floats(String name, Tensor t, Precision prec) {
            ByteBuffer bb = ByteBuffer.allocate(t.numel() * (prec == Precision.F32 ? 4 : 2)).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : t.data()) {
                if (prec == Precision.F32) {
                    bb.putFloat(f);
                } else {
                    bb.putShort(Half.fromFloat(f));
                }
            }
            add(name, prec.name(), t.shape(), bb.array());
        }

        void ints(String name, String dtype, long[] shape, int[] values) {
            ByteBuffer bb = ByteBuffer.allocate(values.length * (dtype.equals("U8") ? 1 : 2)).order(ByteOrder.LITTLE_ENDIAN);
            for (int v : values) {
                if (dtype.equals("U8")) {
                    bb.put((byte) v);
                } else {
                    bb.putShort((short) v);
                }
            }
            add(name, dtype, shape, bb.array());
        }

        private void add(String name, String dtype, long[] shape, byte[] data) {
            ObjectNode n = table.addObject();
            n.put("name", name);
            n.put("dtype", dtype);
            ArrayNode s = n.putArray("shape");
            for (long d : shape) {
                s.add(d);
            }
            n.put("offset", bytes.size());
            n.put("length", data.length);
            bytes.writeBytes(data);
        }
    }

    // ---------------------------------------------------------------- reading

    public static AdapterWeights read(Path file) throws IOException {
        return read(Files.readAllBytes(file));
    }

    /** Just the manifest, after checking magic, version and lengths (not the payload hash). */
    public static JsonNode readManifest(byte[] file) {
        return parseManifest(file);
    }

    /** Reads a compact adapter that holds its own bank; a bank-referencing one throws {@link BankRequiredException}. */
    public static AdapterWeights read(byte[] file) {
        return read(file, (BankSource) null);
    }

    /**
     * Reads a compact adapter; a bank-referencing one gets its bank from {@code banks} (checked against the reference's
     * sha256 and the config's shape) and keeps the reference ({@link AdapterWeights#bankRef()}).
     */
    public static AdapterWeights read(byte[] file, BankSource banks) {
        return read(file, (BankResolver) ref -> {
            if (banks == null) {
                throw new BankRequiredException(ref);
            }
            byte[] bankFile = banks.bankFile(ref);
            if (bankFile == null) {
                throw new BankRequiredException(ref);
            }
            return SharedBank.of(ref, bankFile).bank();
        });
    }

    /**
     * Reads a compact adapter with a bank already resolved (e.g. held once by a serving cache): a bank-referencing
     * adapter must reference {@code bank} (same sha256) and gets its tensor as is, without re-reading the bank file.
     */
    public static AdapterWeights read(byte[] file, SharedBank bank) {
        return read(file, (BankResolver) ref -> {
            if (bank == null) {
                throw new BankRequiredException(ref);
            }
            if (!bank.ref().sha256().equals(ref.sha256())) {
                throw new FormatException("compact adapter references vector bank " + ref.id() + " (sha256 "
                        + ref.sha256() + "), not the given bank " + bank.ref().id() + " (" + bank.ref().sha256() + ")");
            }
            return bank.bank();
        });
    }

    private interface BankResolver {
        Tensor bank(BankRef ref);
    }

    private static AdapterWeights read(byte[] file, BankResolver banks) {
        JsonNode man = parseManifest(file);
        int manifestLen = ByteBuffer.wrap(file, 12, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        int payloadStart = PREAMBLE + manifestLen;
        long declared = requireLong(man, "payload_length");
        long actual = file.length - (long) payloadStart;
        if (actual < declared) {
            throw new FormatException("compact adapter truncated: payload has " + actual + " of " + declared + " bytes");
        }
        if (actual > declared) {
            throw new FormatException("compact adapter has " + (actual - declared) + " unexpected trailing bytes");
        }
        byte[] payload = Arrays.copyOfRange(file, payloadStart, file.length);
        String sha = requireText(man, "payload_sha256");
        String got = sha256(payload);
        if (!got.equals(sha)) {
            throw new FormatException("compact adapter corrupted: payload sha256 " + got + " != manifest " + sha);
        }
        try {
            return decode(man, payload, banks);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new FormatException("compact adapter manifest is inconsistent: " + e.getMessage(), e);
        }
    }

    private static JsonNode parseManifest(byte[] file) {
        if (file.length < PREAMBLE) {
            throw new FormatException("compact adapter truncated: " + file.length + " bytes, the preamble alone is " + PREAMBLE);
        }
        if (!Arrays.equals(Arrays.copyOf(file, 8), MAGIC)) {
            throw new FormatException("not a vbank compact adapter: wrong magic " + HexFormat.of().formatHex(file, 0, 8)
                    + " (expected \"VBNKADPT\")");
        }
        ByteBuffer bb = ByteBuffer.wrap(file, 8, 8).order(ByteOrder.LITTLE_ENDIAN);
        long version = bb.getInt() & 0xffffffffL;
        if (version != VERSION && version != VERSION_BANK_REFERENCING) {
            throw new FormatException("unsupported compact adapter version " + version + " (this reader supports "
                    + VERSION + " and " + VERSION_BANK_REFERENCING + ")");
        }
        long manifestLen = bb.getInt() & 0xffffffffL;
        if (manifestLen > MAX_MANIFEST_BYTES) {
            throw new FormatException("compact adapter manifest length " + manifestLen + " exceeds " + MAX_MANIFEST_BYTES);
        }
        if (PREAMBLE + manifestLen > file.length) {
            throw new FormatException("compact adapter truncated: manifest of " + manifestLen + " bytes, only "
                    + (file.length - PREAMBLE) + " present");
        }
        byte[] manifestBytes = Arrays.copyOfRange(file, PREAMBLE, PREAMBLE + (int) manifestLen);
        if (!Arrays.equals(sha256Bytes(manifestBytes), Arrays.copyOfRange(file, 16, PREAMBLE))) {
            throw new FormatException("compact adapter corrupted: manifest sha256 mismatch");
        }
        if (version == VERSION_BANK_REFERENCING) {
            manifestBytes = inflate(manifestBytes);
        }
        JsonNode man;
        try {
            man = JSON.readTree(new String(manifestBytes, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new FormatException("compact adapter manifest is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (man == null || !man.isObject()) {
            throw new FormatException("compact adapter manifest is not a JSON object");
        }
        if (!"vbank-adapter".equals(man.path("format").asText(null))) {
            throw new FormatException("compact adapter manifest: format must be \"vbank-adapter\"");
        }
        if (man.path("format_version").asLong(-1) != version) {
            throw new FormatException("compact adapter manifest: format_version " + man.path("format_version")
                    + " disagrees with container version " + version);
        }
        return man;
    }

    private record Slot(String dtype, long[] shape, byte[] data) {
    }

    private static AdapterWeights decode(JsonNode man, byte[] payload, BankResolver banks) {
        Map<String, Slot> slots = new LinkedHashMap<>();
        long pos = 0;
        for (JsonNode t : requireArray(man, "tensors")) {
            String name = requireText(t, "name");
            String dtype = requireText(t, "dtype");
            int size = switch (dtype) {
                case "F32" -> 4;
                case "F16", "U16" -> 2;
                case "U8" -> 1;
                default -> throw new FormatException("compact adapter: tensor '" + name + "' has unknown dtype " + dtype);
            };
            long[] shape = longs(requireArray(t, "shape"), name);
            long offset = requireLong(t, "offset");
            long length = requireLong(t, "length");
            if (offset != pos) {
                throw new FormatException("compact adapter: tensor '" + name + "' at offset " + offset + ", expected " + pos);
            }
            if (length != Tensor.numel(shape) * size || offset + length > payload.length) {
                throw new FormatException("compact adapter: tensor '" + name + "' length " + length + " does not match "
                        + dtype + Arrays.toString(shape) + " or runs past the payload");
            }
            if (slots.put(name, new Slot(dtype, shape, Arrays.copyOfRange(payload, (int) offset, (int) (offset + length)))) != null) {
                throw new FormatException("compact adapter: tensor '" + name + "' listed twice");
            }
            pos += length;
        }
        if (pos != payload.length) {
            throw new FormatException("compact adapter: tensors cover " + pos + " of " + payload.length + " payload bytes");
        }

        AdapterKind kind;
        try {
            kind = AdapterKind.fromId(requireText(man, "adapter_kind"));
        } catch (IllegalArgumentException e) {
            throw new FormatException("compact adapter: " + e.getMessage());
        }
        JsonNode base = man.path("base_model");
        String baseId = requireText(base, "id");
        String baseSha = base.path("weights_sha256").isNull() ? null : base.path("weights_sha256").asText(null);
        String taskType = man.path("task_type").isTextual() ? man.get("task_type").textValue() : null;
        List<String> labels = new ArrayList<>();
        man.path("labels").forEach(l -> labels.add(l.asText()));
        Map<String, String> provenance = new LinkedHashMap<>();
        man.path("provenance").fields().forEachRemaining(e -> provenance.put(e.getKey(), e.getValue().asText()));
        Map<String, Tensor> head = new LinkedHashMap<>();
        for (JsonNode h : man.path("head")) {
            head.put(h.asText(), floats(take(slots, "head:" + h.asText())));
        }

        AdapterWeights out;
        switch (kind) {
            case VBLORA -> {
                VbloraConfig c = ConfigJson.vbloraFromTree(man.get("config"));
                BankRef ref = bankRefOf(man);
                Tensor bank;
                if (ref == null) {
                    bank = floats(take(slots, "bank"));
                } else {
                    if (slots.containsKey("bank") || !slots.containsKey("topk_indices")) {
                        throw new FormatException("compact adapter: a bank-referencing adapter holds top-k selections and"
                                + " no bank");
                    }
                    bank = banks.bank(ref);
                    if (bank.dim(0) != c.numVectors() || bank.dim(1) != c.vectorLength()) {
                        throw new FormatException("compact adapter: vector bank " + ref.id() + " is " + bank.shapeString()
                                + ", the adapter needs (" + c.numVectors() + ", " + c.vectorLength() + ")");
                    }
                }
                if (!slots.containsKey("topk_indices")) {
                    List<VbloraModule> modules = new ArrayList<>();
                    for (JsonNode m : requireArray(man, "modules")) {
                        String path = requireText(m, "path");
                        modules.add(VbloraModule.ofLogits(path, (int) requireLong(m, "in"), (int) requireLong(m, "out"),
                                floats(take(slots, "logits_A:" + path)), floats(take(slots, "logits_B:" + path))));
                    }
                    out = AdapterWeights.vblora(c, baseId, baseSha, bank, modules, head, taskType, labels, provenance);
                    break;
                }
                Slot idx = take(slots, "topk_indices");
                Slot w = take(slots, "topk_weights");
                int[] indices = indices(idx, c);
                float[] weights = floats(w).data();
                JsonNode mods = requireArray(man, "modules");
                long expectedSub = 0;
                for (JsonNode m : mods) {
                    expectedSub += (long) c.r() * (requireLong(m, "in") / c.vectorLength())
                            + (requireLong(m, "out") / c.vectorLength()) * c.r();
                }
                int k = c.topk();
                if (idx.shape().length != 2 || idx.shape()[0] != expectedSub || idx.shape()[1] != k
                        || w.shape().length != 2 || w.shape()[0] != expectedSub || w.shape()[1] != k - 1) {
                    throw new FormatException("compact adapter: top-k tensors " + Arrays.toString(idx.shape()) + " / "
                            + Arrays.toString(w.shape()) + " do not fit " + expectedSub + " sub-vectors with topk " + k);
                }
                List<VbloraModule> modules = new ArrayList<>();
                int s = 0;
                for (JsonNode m : mods) {
                    String path = requireText(m, "path");
                    int in = (int) requireLong(m, "in");
                    int outF = (int) requireLong(m, "out");
                    int b = c.vectorLength();
                    TopK a = slice(indices, weights, s, c.r(), in / b, c, path + " A");
                    s += a.subVectors();
                    TopK bt = slice(indices, weights, s, outF / b, c.r(), c, path + " B");
                    s += bt.subVectors();
                    modules.add(VbloraModule.ofTopK(path, in, outF, a, bt));
                }
                out = AdapterWeights.vblora(c, baseId, baseSha, bank, modules, head, taskType, labels, provenance)
                        .withBankRef(ref);
            }
            case LORA -> {
                LoraConfig c = ConfigJson.loraFromTree(man.get("config"));
                List<LoraModule> modules = new ArrayList<>();
                for (JsonNode m : requireArray(man, "modules")) {
                    String path = requireText(m, "path");
                    modules.add(new LoraModule(path, (int) requireLong(m, "in"), (int) requireLong(m, "out"),
                            floats(take(slots, "lora_A:" + path)), floats(take(slots, "lora_B:" + path))));
                }
                out = AdapterWeights.lora(c, baseId, baseSha, modules, head, taskType, labels, provenance);
            }
            default -> out = AdapterWeights.headOnly(baseId, baseSha, head, taskType, labels, provenance);
        }
        if (!slots.isEmpty()) {
            throw new FormatException("compact adapter: payload tensors not referenced by the manifest: " + slots.keySet());
        }
        return out;
    }

    private static Slot take(Map<String, Slot> slots, String name) {
        Slot s = slots.remove(name);
        if (s == null) {
            throw new FormatException("compact adapter: missing payload tensor '" + name + "'");
        }
        return s;
    }

    private static int[] indices(Slot idx, VbloraConfig c) {
        ByteBuffer bb = ByteBuffer.wrap(idx.data()).order(ByteOrder.LITTLE_ENDIAN);
        int[] out = new int[(int) Tensor.numel(idx.shape())];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (idx.dtype()) {
                case "U8" -> bb.get() & 0xff;
                case "U16" -> bb.getShort() & 0xffff;
                default -> throw new FormatException("compact adapter: top-k indices have dtype " + idx.dtype());
            };
        }
        return out;
    }

    private static TopK slice(int[] indices, float[] weights, int start, int d0, int d1, VbloraConfig c, String what) {
        if (d0 < 1 || d1 < 1) {
            throw new FormatException("compact adapter: " + what + " has no sub-vectors (vector_length does not divide it)");
        }
        int k = c.topk();
        int n = d0 * d1;
        try {
            return TopK.of(d0, d1, k, c.numVectors(), Arrays.copyOfRange(indices, start * k, (start + n) * k),
                    Arrays.copyOfRange(weights, start * (k - 1), (start + n) * (k - 1)));
        } catch (IllegalArgumentException e) {
            throw new FormatException("compact adapter: " + what + ": " + e.getMessage(), e);
        }
    }

    private static Tensor floats(Slot s) {
        ByteBuffer bb = ByteBuffer.wrap(s.data()).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[(int) Tensor.numel(s.shape())];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (s.dtype()) {
                case "F32" -> bb.getFloat();
                case "F16" -> Half.toFloat(bb.getShort());
                default -> throw new FormatException("compact adapter: expected a float tensor, got " + s.dtype());
            };
        }
        return new Tensor(s.shape(), out);
    }

    private static long[] longs(JsonNode arr, String name) {
        long[] out = new long[arr.size()];
        for (int i = 0; i < out.length; i++) {
            if (!arr.get(i).isIntegralNumber() || arr.get(i).longValue() < 0) {
                throw new FormatException("compact adapter: tensor '" + name + "' has invalid shape " + arr);
            }
            out[i] = arr.get(i).longValue();
        }
        return out;
    }

    private static String requireText(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new FormatException("compact adapter manifest: missing or non-text field '" + field + "'");
        }
        return v.textValue();
    }

    private static long requireLong(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isIntegralNumber() || v.longValue() < 0) {
            throw new FormatException("compact adapter manifest: missing or invalid integer field '" + field + "'");
        }
        return v.longValue();
    }

    private static JsonNode requireArray(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isArray()) {
            throw new FormatException("compact adapter manifest: missing array field '" + field + "'");
        }
        return v;
    }

    static String sha256(byte[] data) {
        return HexFormat.of().formatHex(sha256Bytes(data));
    }

    private static byte[] sha256Bytes(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

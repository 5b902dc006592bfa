package dev.vbank.vblora.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.vblora.config.ConfigJson;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.TargetModules;
import dev.vbank.vblora.config.VbloraConfig;

import dev.vbank.vblora.config.ModuleShape;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Hugging Face PEFT layout: {@code adapter_config.json} + {@code adapter_model.safetensors}, as
 * {@code PeftModel.save_pretrained} writes it and {@code PeftModel.from_pretrained} loads it, for the bare encoder class
 * the config names ({@code auto_mapping.base_model_class}, e.g. {@code BertModel}; {@code task_type} unset), so the
 * adapter keys are paths inside that encoder and PEFT reports no missing or unexpected adapter keys.
 * <ul>
 *   <li>VB-LoRA ({@code peft_type VBLORA}): {@code base_model.vblora_vector_bank} (h, b); per module
 *       {@code base_model.model.<path>.vblora_logits_A} (r, in/b, h) and {@code .vblora_logits_B} (out/b, r, h), or with
 *       {@code save_only_topk_weights} {@code .vblora_logits_A_topk_indices} (r, in/b, k) and
 *       {@code .vblora_logits_A_topk_weights} (r, in/b, k−1), likewise for B; indices uint8 if h &lt; 256, int16 if
 *       h &lt; 32768, else int32 (PEFT's choice).</li>
 *   <li>LoRA ({@code peft_type LORA}): {@code base_model.model.<path>.lora_A.weight} (r, in), {@code .lora_B.weight}
 *       (out, r).</li>
 *   <li>Head: not a PEFT module (vbank's head reads pooled tokens, which no transformers class does), so it travels in
 *       {@value #HEAD_FILE}: {@code classifier.weight} (labels, hidden), {@code classifier.bias} (labels), with the
 *       pooling, labels, text prefix and sequence length in its {@code __metadata__}. {@value #README_FILE} shows the
 *       Python lines that reproduce vbank's outputs from the three files.</li>
 * </ul>
 * {@code target_modules} is written as the exact list of adapted module paths: PEFT matches list entries by suffix, so a
 * short name such as {@code output.dense} would also catch {@code attention.output.dense}. vbank's own config, labels,
 * provenance, model id and base checksum travel in the safetensors {@code __metadata__} under {@code vbank.*} keys,
 * which PEFT ignores.
 *
 * <p>The importer reads that layout, PEFT's own output (both save modes of VB-LoRA, and LoRA) and the older vbank
 * layout with the head under {@code modules_to_save}; it rejects, naming the tensor or field, wrong dtypes, shapes that
 * disagree with the config, non-finite values and module paths the encoder does not have
 * ({@link #checkFits(AdapterWeights, List)}).
 */
public final class PeftFormat {
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    public static final String HEAD_FILE = "vbank_head.safetensors";
    public static final String README_FILE = "README.md";
    public static final String BANK_KEY = "base_model.vblora_vector_bank";
    static final String MODEL_PREFIX = "base_model.model.";
    static final String META_MODEL = "vbank.model";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern LAYER = Pattern.compile("^(.*?)layer\\.(\\d+)\\.(.+)$");
    private static final Set<Safetensors.DType> FLOATS =
            Set.of(Safetensors.DType.F32, Safetensors.DType.F16, Safetensors.DType.BF16);
    private static final Set<Safetensors.DType> INDEX_TYPES =
            Set.of(Safetensors.DType.U8, Safetensors.DType.I16, Safetensors.DType.I32);

    /**
     * The base model as transformers knows it.
     *
     * @param nameOrPath    {@code base_model_name_or_path}: the Hugging Face id, e.g. {@code sentence-transformers/all-MiniLM-L6-v2}
     * @param modelClass    the bare encoder class PEFT wraps, e.g. {@code BertModel}
     * @param parentLibrary the module that defines it, as PEFT writes it in {@code auto_mapping}
     * @param pooling       {@code mean} or {@code cls}: how vbank's head pools token states
     * @param textPrefix    what vbank prepends to every text before tokenizing ("" for none)
     */
    public record Target(String nameOrPath, String modelClass, String parentLibrary, String pooling, String textPrefix) {
        public Target {
            Objects.requireNonNull(nameOrPath, "nameOrPath");
            Objects.requireNonNull(modelClass, "modelClass");
            Objects.requireNonNull(parentLibrary, "parentLibrary");
            if (!pooling.equals("mean") && !pooling.equals("cls")) {
                throw new IllegalArgumentException("pooling must be mean or cls, was " + pooling);
            }
            textPrefix = textPrefix == null ? "" : textPrefix;
        }

        public static Target bert(String huggingFaceId, String pooling, String textPrefix) {
            return new Target(huggingFaceId, "BertModel", "transformers.models.bert.modeling_bert", pooling, textPrefix);
        }
    }

    /**
     * @param saveOnlyTopkWeights VB-LoRA only: write top-k indices/weights instead of logits (merge/inference only)
     * @param modulePrefix        prepended to module paths in keys and target_modules when the model PEFT wraps holds
     *                            the encoder under a name (e.g. {@code bert.}); empty for the bare encoder
     * @param target              the base model as transformers knows it; null: vbank's model id, BertModel, mean pooling
     */
    public record Options(boolean saveOnlyTopkWeights, String modulePrefix, Target target) {
        public Options {
            modulePrefix = modulePrefix == null ? "" : modulePrefix;
        }

        public static Options full() {
            return new Options(false, "", null);
        }

        public static Options topkOnly() {
            return new Options(true, "", null);
        }

        public Options withTarget(Target t) {
            return new Options(saveOnlyTopkWeights, modulePrefix, t);
        }
    }

    /** The directory's files by name; {@code head} is null for an adapter without one. */
    public record Export(byte[] adapterConfig, byte[] adapterModel, byte[] head, byte[] readme) {
        public Map<String, byte[]> files() {
            Map<String, byte[]> out = new TreeMap<>();
            out.put(CONFIG_FILE, adapterConfig);
            out.put(WEIGHTS_FILE, adapterModel);
            if (head != null) {
                out.put(HEAD_FILE, head);
            }
            out.put(README_FILE, readme);
            return out;
        }

        /** A zip of {@link #files()}, sorted by name, with fixed timestamps: the same export gives the same bytes. */
        public byte[] zip() {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (ZipOutputStream zos = new ZipOutputStream(bos)) {
                for (Map.Entry<String, byte[]> f : files().entrySet()) {
                    ZipEntry e = new ZipEntry(f.getKey());
                    e.setTime(0L);
                    zos.putNextEntry(e);
                    zos.write(f.getValue());
                    zos.closeEntry();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return bos.toByteArray();
        }
    }

    private PeftFormat() {
    }

    // ---------------------------------------------------------------- export

    /** Exports with {@code save_only_topk_weights} as the adapter's config says (full logits when it has none left). */
    public static void export(AdapterWeights a, Path dir) throws IOException {
        boolean topk = a.kind() == AdapterKind.VBLORA && (a.vbloraConfig().saveOnlyTopkWeights() || !a.trainable());
        export(a, dir, new Options(topk, "", null));
    }

    public static void export(AdapterWeights a, Path dir, Options opts) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> f : toFiles(a, opts).files().entrySet()) {
            Files.write(dir.resolve(f.getKey()), f.getValue());
        }
    }

    public static Export toFiles(AdapterWeights a, Options opts) {
        if (a.kind() == AdapterKind.HEAD_ONLY) {
            throw new IllegalArgumentException("a head_only adapter has no PEFT layout; use the compact format");
        }
        if (a.kind() == AdapterKind.VBLORA && !opts.saveOnlyTopkWeights() && !a.trainable()) {
            throw new IllegalArgumentException("this VB-LoRA adapter has no logits (it was saved with top-k weights "
                    + "only); export it with save_only_topk_weights=true");
        }
        Target target = opts.target() != null ? opts.target() : Target.bert(a.baseModelId(), "mean", "");
        String pre = opts.modulePrefix();
        List<Safetensors.Entry> entries = new ArrayList<>();
        ObjectNode cfg = JSON.createObjectNode();
        if (a.kind() == AdapterKind.VBLORA) {
            VbloraConfig c = a.vbloraConfig();
            int k = c.topk();
            Safetensors.DType idx = peftIndexDtype(c.numVectors());
            for (VbloraModule m : a.vbloraModules().values()) {
                String key = MODEL_PREFIX + pre + m.path();
                if (opts.saveOnlyTopkWeights()) {
                    for (String which : List.of("A", "B")) {
                        TopK t = which.equals("A") ? m.selectA(k) : m.selectB(k);
                        String base = key + ".vblora_logits_" + which;
                        entries.add(Safetensors.Entry.ints(base + "_topk_indices", idx, new long[]{t.d0(), t.d1(), k}, t.indices()));
                        entries.add(Safetensors.Entry.f32(base + "_topk_weights",
                                new Tensor(new long[]{t.d0(), t.d1(), k - 1}, t.leadingWeights())));
                    }
                } else {
                    entries.add(Safetensors.Entry.f32(key + ".vblora_logits_A", m.logitsA()));
                    entries.add(Safetensors.Entry.f32(key + ".vblora_logits_B", m.logitsB()));
                }
            }
            entries.add(Safetensors.Entry.f32(BANK_KEY, a.vectorBank()));
            cfg.put("peft_type", "VBLORA");
            common(cfg, a, pre, target);
            cfg.put("r", c.r());
            cfg.put("num_vectors", c.numVectors());
            cfg.put("vector_length", c.vectorLength());
            cfg.put("topk", c.topk());
            cfg.put("save_only_topk_weights", opts.saveOnlyTopkWeights());
            cfg.put("vblora_dropout", c.dropout());
            cfg.put("init_vector_bank_bound", c.initVectorBankBound());
            cfg.put("init_logits_std", c.initLogitsStd());
            layers(cfg, c.layersToTransform());
        } else {
            LoraConfig c = a.loraConfig();
            for (LoraModule m : a.loraModules().values()) {
                String key = MODEL_PREFIX + pre + m.path();
                entries.add(Safetensors.Entry.f32(key + ".lora_A.weight", m.a()));
                entries.add(Safetensors.Entry.f32(key + ".lora_B.weight", m.b()));
            }
            cfg.put("peft_type", "LORA");
            common(cfg, a, pre, target);
            cfg.put("r", c.r());
            cfg.put("lora_alpha", c.alpha());
            cfg.put("lora_dropout", c.dropout());
            cfg.put("use_rslora", false);
            cfg.put("use_dora", false);
            cfg.put("init_lora_weights", true);
            cfg.putObject("rank_pattern");
            cfg.putObject("alpha_pattern");
            layers(cfg, c.layersToTransform());
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("vbank.adapter_kind", a.kind().id());
        meta.put(META_MODEL, a.baseModelId());
        meta.put("vbank.config", compactJson(ConfigJson.toTree(a.kind() == AdapterKind.VBLORA
                ? a.vbloraConfig().withSaveOnlyTopkWeights(opts.saveOnlyTopkWeights()) : a.loraConfig())));
        meta.put("vbank.module_prefix", pre);
        if (a.baseWeightsSha256() != null) {
            meta.put("vbank.base_weights_sha256", a.baseWeightsSha256());
        }
        if (a.taskType() != null) {
            meta.put("vbank.task_type", a.taskType());
        }
        meta.put("vbank.labels", compactJson(JSON.valueToTree(a.labels())));
        meta.put("vbank.provenance", compactJson(JSON.valueToTree(a.provenance())));
        byte[] head = a.head().isEmpty() ? null : headFile(a, target);
        try {
            return new Export(JSON.writeValueAsBytes(cfg), Safetensors.write(meta, entries), head,
                    PeftReadme.write(a, target, opts).getBytes(StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] headFile(AdapterWeights a, Target target) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("pooling", target.pooling());
        meta.put("text_prefix", target.textPrefix());
        meta.put("labels", compactJson(JSON.valueToTree(a.labels())));
        String seq = a.provenance().get("max_seq_length");
        if (seq != null) {
            meta.put("max_seq_length", seq);
        }
        String task = a.provenance().get("task");
        if (task != null) {
            meta.put("task", task);
        }
        List<Safetensors.Entry> entries = new ArrayList<>();
        a.head().forEach((name, t) -> entries.add(Safetensors.Entry.f32(name, t)));
        return Safetensors.write(meta, entries);
    }

    private static void common(ObjectNode cfg, AdapterWeights a, String pre, Target target) {
        cfg.putNull("task_type");
        cfg.put("base_model_name_or_path", target.nameOrPath());
        cfg.putNull("revision");
        cfg.put("inference_mode", true);
        ObjectNode auto = cfg.putObject("auto_mapping");
        auto.put("base_model_class", target.modelClass());
        auto.put("parent_library", target.parentLibrary());
        ArrayNode targets = cfg.putArray("target_modules");
        a.adaptedPaths().forEach(p -> targets.add(pre + p));
        cfg.putNull("exclude_modules");
        cfg.put("fan_in_fan_out", false);
        cfg.put("bias", "none");
        cfg.putNull("modules_to_save");
        cfg.putNull("layers_pattern");
    }

    private static void layers(ObjectNode cfg, List<Integer> layers) {
        if (layers == null) {
            cfg.putNull("layers_to_transform");
        } else {
            ArrayNode arr = cfg.putArray("layers_to_transform");
            layers.forEach(arr::add);
        }
    }

    /** PEFT's index dtype for save_only_topk_weights. */
    public static Safetensors.DType peftIndexDtype(int numVectors) {
        if (numVectors < (1 << 8)) {
            return Safetensors.DType.U8;
        }
        if (numVectors < (1 << 15)) {
            return Safetensors.DType.I16;
        }
        return Safetensors.DType.I32;
    }

    private static String compactJson(JsonNode n) {
        try {
            return new ObjectMapper().writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- import

    /** Most files a PEFT adapter zip may hold, and the most bytes all of them together (zip bombs stop here). */
    static final int MAX_ZIP_ENTRIES = 64;
    public static final long MAX_UNZIPPED_BYTES = 512L * 1024 * 1024;

    /** Reads a zip of a PEFT adapter directory (files at its root or under one folder). */
    public static AdapterWeights importZip(byte[] zip) {
        Map<String, byte[]> files = new TreeMap<>();
        long total = 0;
        try (ZipInputStream zis = new ZipInputStream(new ByteArrayInputStream(zip))) {
            int n = 0;
            for (ZipEntry e; (e = zis.getNextEntry()) != null; ) {
                if (++n > MAX_ZIP_ENTRIES) {
                    throw new FormatException("the zip holds more than " + MAX_ZIP_ENTRIES + " entries");
                }
                if (e.isDirectory()) {
                    continue;
                }
                String name = e.getName().substring(e.getName().lastIndexOf('/') + 1);
                byte[] data = zis.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, MAX_UNZIPPED_BYTES - total + 1));
                total += data.length;
                if (total > MAX_UNZIPPED_BYTES) {
                    throw new FormatException("the zip unpacks to more than " + MAX_UNZIPPED_BYTES + " bytes");
                }
                if (files.put(name, data) != null) {
                    throw new FormatException("the zip holds " + name + " twice");
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new FormatException("not a readable zip: " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new FormatException("not a zip of a PEFT adapter directory (no files found)");
        }
        return fromFiles(files);
    }

    public static AdapterWeights importDir(Path dir) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        for (String name : List.of(CONFIG_FILE, WEIGHTS_FILE, HEAD_FILE)) {
            Path f = dir.resolve(name);
            if (Files.isRegularFile(f)) {
                files.put(name, Files.readAllBytes(f));
            }
        }
        return fromFiles(files);
    }

    /** The adapter from a directory's files by name; {@value #HEAD_FILE} is optional, other names are ignored. */
    public static AdapterWeights fromFiles(Map<String, byte[]> files) {
        byte[] cfg = files.get(CONFIG_FILE);
        byte[] weights = files.get(WEIGHTS_FILE);
        if (cfg == null || weights == null) {
            throw new FormatException("a PEFT adapter needs " + CONFIG_FILE + " and " + WEIGHTS_FILE + "; found "
                    + files.keySet());
        }
        return fromBytes(cfg, weights, files.get(HEAD_FILE));
    }

    public static AdapterWeights fromBytes(byte[] adapterConfig, byte[] adapterModel) {
        return fromBytes(adapterConfig, adapterModel, null);
    }

    /** Imports both save modes (logits or top-k only) of VB-LoRA, and LoRA; {@code headFile} may be null. */
    public static AdapterWeights fromBytes(byte[] adapterConfig, byte[] adapterModel, byte[] headFile) {
        JsonNode cfg;
        try {
            cfg = JSON.readTree(adapterConfig);
        } catch (IOException e) {
            throw new FormatException(CONFIG_FILE + " is not valid JSON: " + e.getMessage(), e);
        }
        if (cfg == null || !cfg.isObject()) {
            throw new FormatException(CONFIG_FILE + " is not a JSON object");
        }
        Safetensors.Contents st = read(WEIGHTS_FILE, adapterModel);
        Map<String, String> meta = st.metadata();
        String pre = meta.getOrDefault("vbank.module_prefix", "");
        String type = cfg.path("peft_type").asText("");
        String baseId = meta.get(META_MODEL);
        if (baseId == null) {
            baseId = cfg.path("base_model_name_or_path").isTextual() ? cfg.get("base_model_name_or_path").textValue() : "";
        }
        if (baseId.isBlank()) {
            baseId = UNKNOWN_MODEL;
        }
        String taskType = meta.getOrDefault("vbank.task_type",
                cfg.path("task_type").isTextual() ? cfg.get("task_type").textValue() : null);
        String baseSha = meta.get("vbank.base_weights_sha256");
        Map<String, Tensor> head = new TreeMap<>();
        List<String> labels = metaJson(meta, "vbank.labels", new TypeReference<List<String>>() {}, List.of());
        Map<String, String> provenance = metaJson(meta, "vbank.provenance", new TypeReference<Map<String, String>>() {}, Map.of());
        if (headFile != null) {
            Safetensors.Contents h = read(HEAD_FILE, headFile);
            for (Safetensors.Entry e : h.tensors().values()) {
                head.put(e.name(), floats(HEAD_FILE + ": " + e.name(), e));
            }
            if (labels.isEmpty()) {
                labels = metaJson(h.metadata(), "labels", new TypeReference<List<String>>() {}, List.of());
            }
        }
        try {
            return switch (type) {
                case "VBLORA" -> importVblora(cfg, st, pre, baseId, baseSha, taskType, labels, provenance, head);
                case "LORA" -> importLora(cfg, st, pre, baseId, baseSha, taskType, labels, provenance, head);
                default -> throw new FormatException(CONFIG_FILE + ": peft_type must be VBLORA or LORA, was '" + type + "'");
            };
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new FormatException("PEFT adapter is inconsistent: " + e.getMessage(), e);
        }
    }

    /** The model id of an adapter whose files name none; the caller supplies the model. */
    public static final String UNKNOWN_MODEL = "unknown";

    /**
     * Checks the adapter against the encoder's adaptable layers: every adapted path must be one of them with the same
     * in/out features (and, for VB-LoRA, vector_length must divide both).
     */
    public static void checkFits(AdapterWeights a, List<ModuleShape> encoderModules) {
        Map<String, ModuleShape> byPath = new TreeMap<>();
        encoderModules.forEach(m -> byPath.put(m.path(), m));
        for (String p : a.adaptedPaths()) {
            ModuleShape m = byPath.get(p);
            if (m == null) {
                throw new FormatException("target module '" + p + "' does not exist in the base model, whose "
                        + encoderModules.size() + " adaptable layers run from '" + encoderModules.get(0).path()
                        + "' to '" + encoderModules.get(encoderModules.size() - 1).path() + "'");
            }
            int in = a.kind() == AdapterKind.LORA ? a.loraModules().get(p).in() : a.vbloraModules().get(p).in();
            int out = a.kind() == AdapterKind.LORA ? a.loraModules().get(p).out() : a.vbloraModules().get(p).out();
            if (in != m.in() || out != m.out()) {
                throw new FormatException("module '" + p + "': the adapter's tensors imply " + out + " x " + in
                        + " but the base model's layer is " + m.out() + " x " + m.in());
            }
        }
    }

    private static Safetensors.Contents read(String file, byte[] bytes) {
        try {
            return Safetensors.read(bytes);
        } catch (FormatException e) {
            throw new FormatException(file + ": " + e.getMessage(), e);
        }
    }

    /** A float tensor with finite values, named in every error. */
    private static Tensor floats(String what, Safetensors.Entry e) {
        if (!FLOATS.contains(e.dtype())) {
            throw new FormatException("tensor '" + what + "' has dtype " + e.dtype() + "; expected F32, F16 or BF16");
        }
        Tensor t = e.toTensor();
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            if (!Float.isFinite(d[i])) {
                throw new FormatException("tensor '" + what + "' holds a non-finite value (" + d[i] + ") at flat index " + i);
            }
        }
        return t;
    }

    private static AdapterWeights importVblora(JsonNode cfg, Safetensors.Contents st, String pre, String baseId,
                                               String baseSha, String taskType, List<String> labels,
                                               Map<String, String> provenance, Map<String, Tensor> head) {
        Tensor bank = floats(BANK_KEY, st.require(BANK_KEY));
        if (bank.rank() != 2) {
            throw new FormatException("tensor '" + BANK_KEY + "' must be (num_vectors, vector_length), got " + bank.shapeString());
        }
        int h = (int) bank.dim(0);
        int b = (int) bank.dim(1);
        requireField(cfg, "num_vectors", h, BANK_KEY + " has " + h + " vectors");
        requireField(cfg, "vector_length", b, BANK_KEY + " has vectors of length " + b);
        Map<String, Map<String, Safetensors.Entry>> perModule = new TreeMap<>();
        Pattern part = Pattern.compile("^(.+)\\.(vblora_logits_[AB](?:_topk_indices|_topk_weights)?)$");
        for (Safetensors.Entry e : st.tensors().values()) {
            if (e.name().equals(BANK_KEY)) {
                continue;
            }
            String rest = stripModel(e.name(), pre);
            Matcher m = part.matcher(rest);
            if (m.matches()) {
                perModule.computeIfAbsent(m.group(1), x -> new TreeMap<>()).put(m.group(2), e);
            } else if (rest.contains("vblora_")) {
                throw new FormatException("unexpected VB-LoRA tensor '" + e.name() + "'");
            } else {
                head.put(headName(rest), floats(e.name(), e));
            }
        }
        if (perModule.isEmpty()) {
            throw new FormatException(WEIGHTS_FILE + " has no vblora_logits tensors");
        }
        boolean topkOnly = perModule.values().iterator().next().containsKey("vblora_logits_A_topk_indices");
        if (cfg.path("save_only_topk_weights").isBoolean() && cfg.get("save_only_topk_weights").booleanValue() != topkOnly) {
            throw new FormatException(CONFIG_FILE + ": save_only_topk_weights is " + cfg.get("save_only_topk_weights")
                    + " but the tensors are " + (topkOnly ? "top-k indices/weights" : "full logits"));
        }
        int k = intField(cfg, "topk", VbloraConfig.DEFAULT_TOPK);
        int r = intField(cfg, "r", VbloraConfig.DEFAULT_R);
        if (k < 2 || k > h) {
            throw new FormatException(CONFIG_FILE + ": topk must be in [2, num_vectors], was " + k);
        }
        List<VbloraModule> modules = new ArrayList<>();
        for (Map.Entry<String, Map<String, Safetensors.Entry>> pm : perModule.entrySet()) {
            String path = pm.getKey();
            Map<String, Safetensors.Entry> parts = pm.getValue();
            Set<String> expected = topkOnly
                    ? Set.of("vblora_logits_A_topk_indices", "vblora_logits_A_topk_weights",
                    "vblora_logits_B_topk_indices", "vblora_logits_B_topk_weights")
                    : Set.of("vblora_logits_A", "vblora_logits_B");
            if (!parts.keySet().equals(expected)) {
                throw new FormatException("module " + path + ": expected tensors " + new TreeSet<>(expected) + ", found "
                        + parts.keySet() + " (save modes cannot be mixed)");
            }
            if (topkOnly) {
                TopK a = topk(parts.get("vblora_logits_A_topk_indices"), parts.get("vblora_logits_A_topk_weights"), k, h, r, true);
                TopK bb = topk(parts.get("vblora_logits_B_topk_indices"), parts.get("vblora_logits_B_topk_weights"), k, h, r, false);
                modules.add(VbloraModule.ofTopK(path, a.d1() * b, bb.d0() * b, a, bb));
            } else {
                Safetensors.Entry ea = parts.get("vblora_logits_A");
                Safetensors.Entry eb = parts.get("vblora_logits_B");
                Tensor la = floats(ea.name(), ea);
                Tensor lb = floats(eb.name(), eb);
                if (la.rank() != 3 || la.dim(0) != r || la.dim(2) != h) {
                    throw new FormatException("tensor '" + ea.name() + "' must be (r=" + r + ", in/vector_length, num_vectors="
                            + h + "), got " + la.shapeString());
                }
                if (lb.rank() != 3 || lb.dim(1) != r || lb.dim(2) != h) {
                    throw new FormatException("tensor '" + eb.name() + "' must be (out/vector_length, r=" + r + ", num_vectors="
                            + h + "), got " + lb.shapeString());
                }
                modules.add(VbloraModule.ofLogits(path, (int) la.dim(1) * b, (int) lb.dim(0) * b, la, lb));
            }
        }
        VbloraConfig base = vbankConfig(st.metadata()) instanceof VbloraConfig v ? v : VbloraConfig.defaults();
        VbloraConfig.Builder cb = base.toBuilder()
                .r(r).numVectors(h).vectorLength(b).topk(k)
                .dropout(cfg.path("vblora_dropout").asDouble(VbloraConfig.DEFAULT_DROPOUT))
                .initVectorBankBound(cfg.path("init_vector_bank_bound").asDouble(VbloraConfig.DEFAULT_INIT_VECTOR_BANK_BOUND))
                .initLogitsStd(cfg.path("init_logits_std").asDouble(VbloraConfig.DEFAULT_INIT_LOGITS_STD))
                .saveOnlyTopkWeights(topkOnly)
                .layersToTransform(layersField(cfg));
        List<String> paths = modules.stream().map(VbloraModule::path).toList();
        if (!(vbankConfig(st.metadata()) instanceof VbloraConfig)) {
            cb.targetModules(targets(paths, cfg));
        }
        VbloraConfig c = cb.build();
        checkAdapts(paths, c::adapts, c.targetModules());
        return AdapterWeights.vblora(c, baseId, baseSha, bank, modules, head, taskType, labels, provenance);
    }

    private static AdapterWeights importLora(JsonNode cfg, Safetensors.Contents st, String pre, String baseId,
                                             String baseSha, String taskType, List<String> labels,
                                             Map<String, String> provenance, Map<String, Tensor> head) {
        Map<String, Map<String, Tensor>> perModule = new TreeMap<>();
        Pattern part = Pattern.compile("^(.+)\\.(lora_[AB])\\.weight$");
        for (Safetensors.Entry e : st.tensors().values()) {
            String rest = stripModel(e.name(), pre);
            Matcher m = part.matcher(rest);
            if (m.matches()) {
                perModule.computeIfAbsent(m.group(1), x -> new TreeMap<>()).put(m.group(2), floats(e.name(), e));
            } else if (rest.contains("lora_")) {
                throw new FormatException("unexpected LoRA tensor '" + e.name() + "' (bias, DoRA and embedding LoRA are "
                        + "not supported)");
            } else {
                head.put(headName(rest), floats(e.name(), e));
            }
        }
        int r = intField(cfg, "r", LoraConfig.DEFAULT_R);
        List<LoraModule> modules = new ArrayList<>();
        for (Map.Entry<String, Map<String, Tensor>> pm : perModule.entrySet()) {
            Tensor a = pm.getValue().get("lora_A");
            Tensor b = pm.getValue().get("lora_B");
            String key = MODEL_PREFIX + pre + pm.getKey();
            if (a == null || a.rank() != 2 || a.dim(0) != r) {
                throw new FormatException("tensor '" + key + ".lora_A.weight' must be (r=" + r + ", in)"
                        + (a == null ? " and is missing" : ", got " + a.shapeString()));
            }
            if (b == null || b.rank() != 2 || b.dim(1) != r) {
                throw new FormatException("tensor '" + key + ".lora_B.weight' must be (out, r=" + r + ")"
                        + (b == null ? " and is missing" : ", got " + b.shapeString()));
            }
            modules.add(new LoraModule(pm.getKey(), (int) a.dim(1), (int) b.dim(0), a, b));
        }
        if (modules.isEmpty()) {
            throw new FormatException(WEIGHTS_FILE + " has no lora_A/lora_B tensors");
        }
        if (cfg.path("use_dora").asBoolean(false)) {
            throw new FormatException(CONFIG_FILE + ": use_dora is not supported");
        }
        if (cfg.path("use_rslora").asBoolean(false)) {
            throw new FormatException(CONFIG_FILE + ": use_rslora is not supported");
        }
        for (String pattern : List.of("rank_pattern", "alpha_pattern")) {
            if (cfg.path(pattern).isObject() && !cfg.get(pattern).isEmpty()) {
                throw new FormatException(CONFIG_FILE + ": " + pattern + " is not supported (one r and alpha for all modules)");
            }
        }
        LoraConfig base = vbankConfig(st.metadata()) instanceof LoraConfig l ? l : LoraConfig.defaults();
        List<String> paths = modules.stream().map(LoraModule::path).toList();
        LoraConfig c = base.withR(r)
                .withAlpha(cfg.path("lora_alpha").asDouble(LoraConfig.DEFAULT_ALPHA))
                .withDropout(cfg.path("lora_dropout").asDouble(LoraConfig.DEFAULT_DROPOUT))
                .withLayersToTransform(layersField(cfg));
        if (!(vbankConfig(st.metadata()) instanceof LoraConfig)) {
            c = c.withTargetModules(targets(paths, cfg));
        }
        checkAdapts(paths, c::adapts, c.targetModules());
        return AdapterWeights.lora(c, baseId, baseSha, modules, head, taskType, labels, provenance);
    }

    private static void requireField(JsonNode cfg, String field, int actual, String why) {
        JsonNode n = cfg.get(field);
        if (n != null && !n.isNull() && (!n.isIntegralNumber() || n.intValue() != actual)) {
            throw new FormatException(CONFIG_FILE + ": " + field + " is " + n + " but " + why);
        }
    }

    private static void checkAdapts(List<String> paths, java.util.function.Predicate<String> adapts, TargetModules t) {
        for (String p : paths) {
            if (!adapts.test(p)) {
                throw new FormatException("module " + p + " is in the weights but not selected by target_modules '" + t + "'");
            }
        }
    }

    private static String stripModel(String key, String pre) {
        if (!key.startsWith(MODEL_PREFIX)) {
            throw new FormatException("unexpected tensor '" + key + "' (expected " + MODEL_PREFIX + "… or " + BANK_KEY + ")");
        }
        String rest = key.substring(MODEL_PREFIX.length());
        if (!pre.isEmpty()) {
            if (!rest.startsWith(pre)) {
                throw new FormatException("tensor '" + key + "' lacks the module prefix '" + pre + "'");
            }
            rest = rest.substring(pre.length());
        }
        return rest;
    }

    /** Accepts in-memory style names too: {@code classifier.modules_to_save.default.weight} → {@code classifier.weight}. */
    private static String headName(String rest) {
        return rest.replace(".modules_to_save.default.", ".").replace(".modules_to_save.", ".");
    }

    private static TopK topk(Safetensors.Entry idx, Safetensors.Entry w, int k, int h, int r, boolean isA) {
        if (!INDEX_TYPES.contains(idx.dtype())) {
            throw new FormatException("tensor '" + idx.name() + "' has dtype " + idx.dtype() + "; expected U8, I16 or I32");
        }
        Tensor weights = floats(w.name(), w);
        long[] is = idx.shape();
        long[] ws = w.shape();
        boolean rankOk = is.length == 3 && ws.length == 3 && (isA ? is[0] == r : is[1] == r);
        if (!rankOk || is[2] != k || ws[2] != k - 1 || is[0] != ws[0] || is[1] != ws[1]) {
            throw new FormatException("tensors '" + idx.name() + "' / '" + w.name() + "': shapes " + Arrays.toString(is)
                    + " / " + Arrays.toString(ws) + " do not fit r=" + r + ", topk=" + k);
        }
        try {
            return TopK.of((int) is[0], (int) is[1], k, h, idx.toInts(), weights.data());
        } catch (IllegalArgumentException e) {
            throw new FormatException("tensor '" + idx.name() + "': " + e.getMessage(), e);
        }
    }

    /**
     * Rebuilds a {@link TargetModules} that selects exactly these paths: short names when the paths are the full
     * product of some in-layer names and layers, else a regex of the literal paths.
     */
    static TargetModules targets(List<String> paths, JsonNode cfg) {
        Set<String> prefixes = new LinkedHashSet<>();
        Set<String> names = new TreeSet<>();
        Set<Integer> layers = new TreeSet<>();
        Set<String> seen = new TreeSet<>();
        boolean structured = true;
        for (String p : paths) {
            Matcher m = LAYER.matcher(p);
            if (!m.matches()) {
                structured = false;
                break;
            }
            String shortName = shortName(m.group(3));
            if (shortName == null) {
                structured = false;
                break;
            }
            prefixes.add(m.group(1));
            names.add(shortName);
            layers.add(Integer.parseInt(m.group(2)));
            seen.add(m.group(2) + "/" + shortName);
        }
        if (structured && prefixes.size() == 1 && seen.size() == names.size() * layers.size()) {
            TargetModules t = TargetModules.of(List.copyOf(names));
            List<Integer> declared = layersField(cfg);
            if (declared == null || new TreeSet<>(declared).equals(layers)) {
                return t;
            }
        }
        return TargetModules.parse("regex:" + paths.stream().map(Pattern::quote).collect(Collectors.joining("|", "(?:", ")")));
    }

    private static String shortName(String inLayer) {
        for (Map.Entry<String, String> e : TargetModules.SHORT_NAMES.entrySet()) {
            if (e.getValue().equals(inLayer)) {
                return e.getKey();
            }
        }
        return null;
    }

    private static Object vbankConfig(Map<String, String> meta) {
        String json = meta.get("vbank.config");
        String kind = meta.get("vbank.adapter_kind");
        if (json == null || kind == null) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(json);
            return switch (kind) {
                case "vblora" -> ConfigJson.vbloraFromTree(n);
                case "lora" -> ConfigJson.loraFromTree(n);
                default -> null;
            };
        } catch (IOException e) {
            throw new FormatException("vbank.config metadata is not valid JSON", e);
        }
    }

    private static <T> T metaJson(Map<String, String> meta, String key, TypeReference<T> type, T dflt) {
        String v = meta.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            return JSON.readValue(v, type);
        } catch (IOException e) {
            throw new FormatException("metadata " + key + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static int intField(JsonNode cfg, String field, int dflt) {
        JsonNode n = cfg.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isIntegralNumber()) {
            throw new FormatException(CONFIG_FILE + ": " + field + " must be an integer, was " + n);
        }
        return n.intValue();
    }

    /** PEFT allows an int or a list of ints. */
    private static List<Integer> layersField(JsonNode cfg) {
        JsonNode n = cfg.get("layers_to_transform");
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isIntegralNumber()) {
            return List.of(n.intValue());
        }
        if (!n.isArray()) {
            throw new FormatException(CONFIG_FILE + ": layers_to_transform must be an int or a list of ints");
        }
        List<Integer> out = new ArrayList<>();
        n.forEach(x -> out.add(x.intValue()));
        return out;
    }
}

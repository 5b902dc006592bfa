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

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Hugging Face PEFT layout: {@code adapter_config.json} + {@code adapter_model.safetensors}, as
 * {@code PeftModel.save_pretrained} writes it and {@code PeftModel.from_pretrained} loads it.
 * <ul>
 *   <li>VB-LoRA ({@code peft_type VBLORA}): {@code base_model.vblora_vector_bank} (h, b); per module
 *       {@code base_model.model.<path>.vblora_logits_A} (r, in/b, h) and {@code .vblora_logits_B} (out/b, r, h), or with
 *       {@code save_only_topk_weights} {@code .vblora_logits_A_topk_indices} (r, in/b, k) and
 *       {@code .vblora_logits_A_topk_weights} (r, in/b, k−1), likewise for B; indices uint8 if h &lt; 256, int16 if
 *       h &lt; 32768, else int32 (PEFT's choice).</li>
 *   <li>LoRA ({@code peft_type LORA}): {@code base_model.model.<path>.lora_A.weight} (r, in), {@code .lora_B.weight}
 *       (out, r).</li>
 *   <li>Head ({@code modules_to_save}): {@code base_model.model.<name>}, e.g. {@code base_model.model.classifier.weight}
 *       — PEFT's state dict drops both {@code modules_to_save.} and the adapter name when saving.</li>
 * </ul>
 * {@code target_modules} is written as the exact list of adapted module paths: PEFT matches list entries by suffix, so a
 * short name such as {@code output.dense} would also catch {@code attention.output.dense}. vbank's own config, labels,
 * provenance and base checksum travel in the safetensors {@code __metadata__} under {@code vbank.*} keys, which PEFT
 * ignores.
 */
public final class PeftFormat {
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    public static final String BANK_KEY = "base_model.vblora_vector_bank";
    static final String MODEL_PREFIX = "base_model.model.";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern LAYER = Pattern.compile("^(.*?)layer\\.(\\d+)\\.(.+)$");

    /**
     * @param saveOnlyTopkWeights VB-LoRA only: write top-k indices/weights instead of logits (merge/inference only)
     * @param modulePrefix        prepended to module and head paths in keys and target_modules, e.g. {@code roberta.}
     *                            when the adapter's paths are relative to the encoder but the PEFT model wraps
     *                            {@code RobertaForSequenceClassification}; empty for none
     */
    public record Options(boolean saveOnlyTopkWeights, String modulePrefix) {
        public Options {
            modulePrefix = modulePrefix == null ? "" : modulePrefix;
        }

        public static Options full() {
            return new Options(false, "");
        }

        public static Options topkOnly() {
            return new Options(true, "");
        }
    }

    /** The two files' bytes. */
    public record Files2(byte[] adapterConfig, byte[] adapterModel) {
    }

    private PeftFormat() {
    }

    // ---------------------------------------------------------------- export

    /** Exports with {@code save_only_topk_weights} as the adapter's config says. */
    public static void export(AdapterWeights a, Path dir) throws IOException {
        boolean topk = a.kind() == AdapterKind.VBLORA && a.vbloraConfig().saveOnlyTopkWeights();
        export(a, dir, new Options(topk, ""));
    }

    public static void export(AdapterWeights a, Path dir, Options opts) throws IOException {
        Files2 f = toBytes(a, opts);
        Files.createDirectories(dir);
        Files.write(dir.resolve(CONFIG_FILE), f.adapterConfig());
        Files.write(dir.resolve(WEIGHTS_FILE), f.adapterModel());
    }

    public static Files2 toBytes(AdapterWeights a, Options opts) {
        if (a.kind() == AdapterKind.HEAD_ONLY) {
            throw new IllegalArgumentException("a head_only adapter has no PEFT layout; use the compact format");
        }
        if (a.kind() == AdapterKind.VBLORA && !opts.saveOnlyTopkWeights() && !a.trainable()) {
            throw new IllegalArgumentException("this VB-LoRA adapter has no logits (loaded from a top-k-only file); "
                    + "export it with saveOnlyTopkWeights");
        }
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
            common(cfg, a, pre);
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
            common(cfg, a, pre);
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
        for (Map.Entry<String, Tensor> h : a.head().entrySet()) {
            entries.add(Safetensors.Entry.f32(MODEL_PREFIX + pre + h.getKey(), h.getValue()));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("vbank.adapter_kind", a.kind().id());
        meta.put("vbank.config", compactJson(ConfigJson.toTree(a.kind() == AdapterKind.VBLORA
                ? a.vbloraConfig().withSaveOnlyTopkWeights(opts.saveOnlyTopkWeights()) : a.loraConfig())));
        meta.put("vbank.module_prefix", pre);
        if (a.baseWeightsSha256() != null) {
            meta.put("vbank.base_weights_sha256", a.baseWeightsSha256());
        }
        meta.put("vbank.labels", compactJson(JSON.valueToTree(a.labels())));
        meta.put("vbank.provenance", compactJson(JSON.valueToTree(a.provenance())));
        try {
            return new Files2(JSON.writeValueAsBytes(cfg), Safetensors.write(meta, entries));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void common(ObjectNode cfg, AdapterWeights a, String pre) {
        cfg.put("task_type", a.taskType());
        cfg.put("base_model_name_or_path", a.baseModelId());
        cfg.putNull("revision");
        cfg.put("inference_mode", true);
        cfg.putNull("auto_mapping");
        ArrayNode targets = cfg.putArray("target_modules");
        a.adaptedPaths().forEach(p -> targets.add(pre + p));
        cfg.putNull("exclude_modules");
        cfg.put("fan_in_fan_out", false);
        cfg.put("bias", "none");
        Set<String> toSave = new TreeSet<>();
        for (String h : a.head().keySet()) {
            int dot = h.lastIndexOf('.');
            toSave.add(pre + (dot > 0 ? h.substring(0, dot) : h));
        }
        if (toSave.isEmpty()) {
            cfg.putNull("modules_to_save");
        } else {
            ArrayNode arr = cfg.putArray("modules_to_save");
            collapse(toSave).forEach(arr::add);
        }
        cfg.putNull("layers_pattern");
    }

    /** {@code classifier.dense}, {@code classifier.out_proj} → {@code classifier}: PEFT wraps the whole head module. */
    private static Set<String> collapse(Set<String> modules) {
        Set<String> out = new TreeSet<>();
        for (String m : modules) {
            int dot = m.indexOf('.');
            out.add(dot > 0 ? m.substring(0, dot) : m);
        }
        return out;
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

    // ---------------------------------------------------------------- zip

    /** A zip of the directory's regular files (not recursive), sorted by name, with fixed timestamps. */
    public static byte[] zip(Path dir) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream zos = new ZipOutputStream(bos); Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                ZipEntry e = new ZipEntry(p.getFileName().toString());
                e.setTime(0L);
                zos.putNextEntry(e);
                Files.copy(p, zos);
                zos.closeEntry();
            }
        }
        return bos.toByteArray();
    }

    public static void zip(Path dir, Path zipFile) throws IOException {
        Files.write(zipFile, zip(dir));
    }

    public static AdapterWeights importZip(byte[] zip) {
        Map<String, byte[]> files = new TreeMap<>();
        try (ZipInputStream zis = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e; (e = zis.getNextEntry()) != null; ) {
                if (!e.isDirectory()) {
                    String name = e.getName().substring(e.getName().lastIndexOf('/') + 1);
                    files.put(name, zis.readAllBytes());
                }
            }
        } catch (IOException e) {
            throw new FormatException("PEFT zip is unreadable: " + e.getMessage(), e);
        }
        byte[] cfg = files.get(CONFIG_FILE);
        byte[] weights = files.get(WEIGHTS_FILE);
        if (cfg == null || weights == null) {
            throw new FormatException("PEFT zip must contain " + CONFIG_FILE + " and " + WEIGHTS_FILE + ", found " + files.keySet());
        }
        return fromBytes(cfg, weights);
    }

    // ---------------------------------------------------------------- import

    public static AdapterWeights importDir(Path dir) throws IOException {
        Path cfg = dir.resolve(CONFIG_FILE);
        Path weights = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(cfg) || !Files.isRegularFile(weights)) {
            throw new FormatException("PEFT directory " + dir + " must contain " + CONFIG_FILE + " and " + WEIGHTS_FILE);
        }
        return fromBytes(Files.readAllBytes(cfg), Files.readAllBytes(weights));
    }

    /** Imports both save modes (logits or top-k only) of VB-LoRA, and LoRA. */
    public static AdapterWeights fromBytes(byte[] adapterConfig, byte[] adapterModel) {
        JsonNode cfg;
        try {
            cfg = JSON.readTree(adapterConfig);
        } catch (IOException e) {
            throw new FormatException(CONFIG_FILE + " is not valid JSON: " + e.getMessage(), e);
        }
        if (cfg == null || !cfg.isObject()) {
            throw new FormatException(CONFIG_FILE + " is not a JSON object");
        }
        Safetensors.Contents st = Safetensors.read(adapterModel);
        Map<String, String> meta = st.metadata();
        String pre = meta.getOrDefault("vbank.module_prefix", "");
        String type = cfg.path("peft_type").asText("");
        String baseId = cfg.path("base_model_name_or_path").asText(null);
        if (baseId == null || baseId.isBlank()) {
            throw new FormatException(CONFIG_FILE + ": base_model_name_or_path is required");
        }
        String taskType = cfg.path("task_type").isTextual() ? cfg.get("task_type").textValue() : null;
        String baseSha = meta.get("vbank.base_weights_sha256");
        List<String> labels = metaJson(meta, "vbank.labels", new TypeReference<List<String>>() {}, List.of());
        Map<String, String> provenance = metaJson(meta, "vbank.provenance", new TypeReference<Map<String, String>>() {}, Map.of());
        try {
            return switch (type) {
                case "VBLORA" -> importVblora(cfg, st, pre, baseId, baseSha, taskType, labels, provenance);
                case "LORA" -> importLora(cfg, st, pre, baseId, baseSha, taskType, labels, provenance);
                default -> throw new FormatException(CONFIG_FILE + ": unsupported peft_type '" + type + "' (VBLORA, LORA)");
            };
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new FormatException("PEFT adapter is inconsistent: " + e.getMessage(), e);
        }
    }

    private static AdapterWeights importVblora(JsonNode cfg, Safetensors.Contents st, String pre, String baseId,
                                               String baseSha, String taskType, List<String> labels,
                                               Map<String, String> provenance) {
        Tensor bank = st.require(BANK_KEY).toTensor();
        if (bank.rank() != 2) {
            throw new FormatException(BANK_KEY + " must be (num_vectors, vector_length), got " + bank.shapeString());
        }
        int h = (int) bank.dim(0);
        int b = (int) bank.dim(1);
        Map<String, Map<String, Safetensors.Entry>> perModule = new TreeMap<>();
        Map<String, Tensor> head = new TreeMap<>();
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
                head.put(headName(rest), e.toTensor());
            }
        }
        if (perModule.isEmpty()) {
            throw new FormatException("PEFT VB-LoRA adapter has no vblora_logits tensors");
        }
        boolean topkOnly = perModule.values().iterator().next().containsKey("vblora_logits_A_topk_indices");
        int k = intField(cfg, "topk", VbloraConfig.DEFAULT_TOPK);
        int r = intField(cfg, "r", VbloraConfig.DEFAULT_R);
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
                TopK a = topk(parts.get("vblora_logits_A_topk_indices"), parts.get("vblora_logits_A_topk_weights"), k, h);
                TopK bb = topk(parts.get("vblora_logits_B_topk_indices"), parts.get("vblora_logits_B_topk_weights"), k, h);
                modules.add(VbloraModule.ofTopK(path, a.d1() * b, bb.d0() * b, a, bb));
            } else {
                Tensor la = parts.get("vblora_logits_A").toTensor();
                Tensor lb = parts.get("vblora_logits_B").toTensor();
                if (la.rank() != 3 || lb.rank() != 3) {
                    throw new FormatException("module " + path + ": logits must be rank 3, got " + la.shapeString()
                            + " and " + lb.shapeString());
                }
                modules.add(VbloraModule.ofLogits(path, (int) la.dim(1) * b, (int) lb.dim(0) * b, la, lb));
            }
        }
        VbloraConfig base = vbankConfig(st.metadata()) instanceof VbloraConfig v ? v : VbloraConfig.defaults();
        VbloraConfig.Builder cb = base.toBuilder()
                .r(r).numVectors(intField(cfg, "num_vectors", h)).vectorLength(intField(cfg, "vector_length", b)).topk(k)
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
                                             Map<String, String> provenance) {
        Map<String, Map<String, Tensor>> perModule = new TreeMap<>();
        Map<String, Tensor> head = new TreeMap<>();
        Pattern part = Pattern.compile("^(.+)\\.(lora_[AB])\\.weight$");
        for (Safetensors.Entry e : st.tensors().values()) {
            String rest = stripModel(e.name(), pre);
            Matcher m = part.matcher(rest);
            if (m.matches()) {
                perModule.computeIfAbsent(m.group(1), x -> new TreeMap<>()).put(m.group(2), e.toTensor());
            } else if (rest.contains("lora_")) {
                throw new FormatException("unexpected LoRA tensor '" + e.name() + "'");
            } else {
                head.put(headName(rest), e.toTensor());
            }
        }
        List<LoraModule> modules = new ArrayList<>();
        for (Map.Entry<String, Map<String, Tensor>> pm : perModule.entrySet()) {
            Tensor a = pm.getValue().get("lora_A");
            Tensor b = pm.getValue().get("lora_B");
            if (a == null || b == null || a.rank() != 2 || b.rank() != 2) {
                throw new FormatException("module " + pm.getKey() + ": needs 2-d lora_A.weight and lora_B.weight");
            }
            modules.add(new LoraModule(pm.getKey(), (int) a.dim(1), (int) b.dim(0), a, b));
        }
        if (modules.isEmpty()) {
            throw new FormatException("PEFT LoRA adapter has no lora_A/lora_B tensors");
        }
        LoraConfig base = vbankConfig(st.metadata()) instanceof LoraConfig l ? l : LoraConfig.defaults();
        List<String> paths = modules.stream().map(LoraModule::path).toList();
        LoraConfig c = base.withR(intField(cfg, "r", LoraConfig.DEFAULT_R))
                .withAlpha(cfg.path("lora_alpha").asDouble(LoraConfig.DEFAULT_ALPHA))
                .withDropout(cfg.path("lora_dropout").asDouble(LoraConfig.DEFAULT_DROPOUT))
                .withLayersToTransform(layersField(cfg));
        if (!(vbankConfig(st.metadata()) instanceof LoraConfig)) {
            c = c.withTargetModules(targets(paths, cfg));
        }
        checkAdapts(paths, c::adapts, c.targetModules());
        return AdapterWeights.lora(c, baseId, baseSha, modules, head, taskType, labels, provenance);
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

    private static TopK topk(Safetensors.Entry idx, Safetensors.Entry w, int k, int h) {
        long[] is = idx.shape();
        long[] ws = w.shape();
        if (is.length != 3 || ws.length != 3 || is[2] != k || ws[2] != k - 1 || is[0] != ws[0] || is[1] != ws[1]) {
            throw new FormatException(idx.name() + " / " + w.name() + ": shapes " + java.util.Arrays.toString(is) + " / "
                    + java.util.Arrays.toString(ws) + " do not fit topk " + k);
        }
        try {
            return TopK.of((int) is[0], (int) is[1], k, h, idx.toInts(), w.toTensor().data());
        } catch (IllegalArgumentException e) {
            throw new FormatException(idx.name() + ": " + e.getMessage(), e);
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

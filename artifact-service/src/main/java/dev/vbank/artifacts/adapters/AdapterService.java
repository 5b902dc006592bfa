package dev.vbank.artifacts.adapters;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vbank.artifacts.ArtifactsConfig;
import dev.vbank.artifacts.domain.Names;
import dev.vbank.artifacts.models.BaseModelService;
import dev.vbank.artifacts.store.ObjectStore;
import dev.vbank.artifacts.store.Spool;
import dev.vbank.common.job.MethodType;
import dev.vbank.service.db.Db;
import dev.vbank.service.error.Invalid;
import dev.vbank.service.error.NotFound;
import dev.vbank.service.error.TooLarge;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.model.FloatTensor;
import dev.vbank.text.model.WeightFile;
import dev.vbank.text.interop.PeftTargets;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.model.ClassificationHead;
import dev.vbank.vblora.format.Accounting;
import dev.vbank.vblora.format.AdapterKind;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.BankRef;
import dev.vbank.artifacts.banks.VectorBankStore;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.FormatException;
import dev.vbank.vblora.format.PeftFormat;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Trained adapters in vbank's compact format: exactly one per (tenant, job); PEFT and merged forms built on read. */
@ApplicationScoped
public class AdapterService {

    public static final String FORMAT = "vbank-compact";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COLUMNS = "id, job_id, base_model, training_file, method, format, object_key, bytes, "
            + "sha256, config::text as config, trainable_params, peft_savable_params, compact_bytes, source, created_at, "
            + "vector_bank";

    private final Db db;
    private final ObjectStore store;
    private final ArtifactsConfig config;
    private final BaseModelService baseModels;
    private final VectorBankStore banks;

    public AdapterService(Db db, ObjectStore store, ArtifactsConfig config, BaseModelService baseModels,
                          VectorBankStore banks) {
        this.db = db;
        this.store = store;
        this.config = config;
        this.baseModels = baseModels;
        this.banks = banks;
    }

    public static String objectKey(String tenant, String id) {
        return "tenants/" + tenant + "/adapters/" + id + "/adapter.vbank";
    }

    public record Created(AdapterObject adapter, boolean created) {
    }

    public record Stored(AdapterObject adapter, String objectKey) {
    }

    public record Lineage(String jobId, String baseModel, String trainingFile, String method) {
    }

    public Created create(String tenant, Lineage l, long contentLength, InputStream body) {
        Names.segment(tenant, "tenant");
        Names.segment(l.jobId(), "job_id");
        if (l.baseModel() == null || l.baseModel().isEmpty()) {
            throw Invalid.of("base_model", "base_model is required");
        }
        if (BaseModels.find(l.baseModel()).isEmpty()) {
            throw Invalid.of("base_model", "unknown base model '" + l.baseModel() + "'; known: "
                    + BaseModels.all().stream().map(BaseModel::id).toList());
        }
        if (l.trainingFile() != null && !l.trainingFile().isEmpty()) {
            Names.segment(l.trainingFile(), "training_file");
        }
        if (l.method() != null && !l.method().isEmpty()) {
            try {
                MethodType.fromWireName(l.method());
            } catch (IllegalArgumentException e) {
                throw Invalid.of("method", "method must be vblora, lora or head_only");
            }
        }
        Optional<AdapterObject> existing = byJob(tenant, l.jobId());
        if (existing.isPresent()) {
            return new Created(existing.get(), false);
        }
        if (contentLength > config.adapterMaxBytes()) {
            throw TooLarge.of("body", config.adapterMaxBytes());
        }
        byte[] bytes = readCapped(body, config.adapterMaxBytes());
        AdapterWeights adapter;
        JsonNode manifest;
        VectorBankStore.Row bank = null;
        try {
            manifest = CompactFormat.readManifest(bytes);
            BankRef ref = CompactFormat.bankRef(bytes);
            if (ref != null) {
                bank = referencedBank(tenant, l.baseModel(), ref);
                VectorBankStore.Row b = bank;
                adapter = CompactFormat.read(bytes, r -> banks.content(b));
            } else {
                adapter = CompactFormat.read(bytes);
            }
        } catch (FormatException | IllegalArgumentException e) {
            throw Invalid.of("body", "not a valid vbank compact adapter: " + e.getMessage());
        }
        if (!adapter.baseModelId().equals(l.baseModel())) {
            throw Invalid.of("base_model", "the adapter was trained on '" + adapter.baseModelId()
                    + "', not '" + l.baseModel() + "'");
        }
        String method = adapter.kind().id();
        if (l.method() != null && !l.method().isEmpty() && !l.method().equals(method)) {
            throw Invalid.of("method", "the adapter is a " + method + " adapter, not " + l.method());
        }
        JsonNode cfg = manifest.get("config");
        return store(tenant, l, adapter, bytes, cfg == null || cfg.isNull() ? null : cfg.toString(), "trained");
    }

    /** The published bank an uploaded adapter references: one the tenant may use, of its base model and content. */
    private VectorBankStore.Row referencedBank(String tenant, String baseModel, BankRef ref) {
        VectorBankStore.Row bank = banks.find(ref.id()).filter(r -> r.visibleTo(tenant)).orElseThrow(() ->
                Invalid.of("body", "the adapter references vector bank " + ref.id() + ", which does not exist for "
                        + "this tenant"));
        if (!bank.sha256().equals(ref.sha256())) {
            throw Invalid.of("body", "the adapter references vector bank " + ref.id() + " with sha256 " + ref.sha256()
                    + ", the bank's is " + bank.sha256());
        }
        if (!bank.baseModel().equals(baseModel)) {
            throw Invalid.of("body", "vector bank " + ref.id() + " belongs to base model " + bank.baseModel()
                    + ", not " + baseModel);
        }
        return bank;
    }

    /**
     * Imports a zip of a PEFT adapter directory (VB-LoRA in either save mode, or LoRA) for a registered base model,
     * named by {@code model} or by the files ({@code base_model_name_or_path}, vbank's or the Hugging Face id). Every
     * tensor is checked against the model's layers before anything is stored; the adapter is kept in the compact form
     * (with its logits when the files have them).
     */
    public Created importPeft(String tenant, String model, long contentLength, InputStream body) {
        Names.segment(tenant, "tenant");
        if (contentLength > config.adapterMaxBytes()) {
            throw TooLarge.of("file", config.adapterMaxBytes());
        }
        byte[] zip = readCapped(body, config.adapterMaxBytes());
        AdapterWeights imported;
        try {
            imported = PeftFormat.importZip(zip);
        } catch (FormatException e) {
            throw Invalid.of("file", e.getMessage());
        }
        BaseModel bm = importTarget(model, imported);
        try {
            PeftFormat.checkFits(imported, PeftTargets.adaptableModules(bm));
        } catch (FormatException e) {
            throw Invalid.of("file", e.getMessage() + " (base model " + bm.id() + ")");
        }
        if (imported.baseWeightsSha256() != null && !imported.baseWeightsSha256().equals(bm.weightsSha256())) {
            throw Invalid.of("file", "the adapter records base weights " + imported.baseWeightsSha256()
                    + ", not the registered " + bm.weightsSha256() + " of " + bm.id());
        }
        checkHead(imported, bm);
        AdapterWeights a = asRegistered(imported, bm);
        byte[] compact = CompactFormat.write(a, CompactFormat.Options.FP32);
        String cfg = CompactFormat.readManifest(compact).get("config").toString();
        return store(tenant, new Lineage(null, bm.id(), null, a.kind().id()), a, compact, cfg, "imported");
    }

    private static BaseModel importTarget(String model, AdapterWeights imported) {
        String named = imported.baseModelId().equals(PeftFormat.UNKNOWN_MODEL) ? null : imported.baseModelId();
        if (model != null && !model.isBlank()) {
            BaseModel bm = PeftTargets.find(model).orElseThrow(() -> Invalid.of("model",
                    "unknown base model '" + model + "'; known: " + known()));
            if (named != null && PeftTargets.find(named).map(m -> !m.equals(bm)).orElse(false)) {
                throw Invalid.of("model", "the adapter names base model '" + named + "', not '" + model + "'");
            }
            return bm;
        }
        if (named == null) {
            throw Invalid.of("model", "the adapter's base_model_name_or_path is empty: name the base model "
                    + "with 'model' (one of " + known() + ")");
        }
        return PeftTargets.find(named).orElseThrow(() -> Invalid.of("model", "the adapter's base model '"
                + named + "' is not registered; name one with 'model' (one of " + known() + ")"));
    }

    private static List<String> known() {
        return BaseModels.all().stream().map(m -> m.id() + " (" + PeftTargets.huggingFaceId(m) + ")").toList();
    }

    /** A head, when present, is vbank's: classifier.weight (outputs, hidden) and classifier.bias (outputs). */
    private static void checkHead(AdapterWeights a, BaseModel bm) {
        if (a.head().isEmpty()) {
            return;
        }
        Tensor w = a.head().get(ClassificationHead.WEIGHT);
        Tensor b = a.head().get(ClassificationHead.BIAS);
        if (w == null || b == null || a.head().size() != 2) {
            throw Invalid.of("file", "head tensors must be exactly " + ClassificationHead.WEIGHT + " and "
                    + ClassificationHead.BIAS + " (in " + PeftFormat.HEAD_FILE + "), found " + a.head().keySet());
        }
        if (w.rank() != 2 || w.dim(1) != bm.hiddenSize() || b.rank() != 1 || b.dim(0) != w.dim(0)) {
            throw Invalid.of("file", "tensor '" + ClassificationHead.WEIGHT + "' must be (outputs, "
                    + bm.hiddenSize() + ") and '" + ClassificationHead.BIAS + "' (outputs), got " + w.shapeString()
                    + " and " + b.shapeString());
        }
        if (!a.labels().isEmpty() && a.labels().size() != w.dim(0) && w.dim(0) != 1) {
            throw Invalid.of("file", "the head has " + w.dim(0) + " outputs but " + a.labels().size()
                    + " labels");
        }
    }

    /** The same weights under the registry's id and base checksum, with where they came from. */
    private static AdapterWeights asRegistered(AdapterWeights a, BaseModel bm) {
        Map<String, String> provenance = new LinkedHashMap<>(a.provenance());
        provenance.putIfAbsent("imported_from", "peft");
        provenance.putIfAbsent("imported_base_model_name_or_path", a.baseModelId());
        List<String> labels = a.labels();
        Tensor w = a.head().get(ClassificationHead.WEIGHT);
        if (labels.isEmpty() && w != null && w.dim(0) > 1) {
            labels = java.util.stream.IntStream.range(0, (int) w.dim(0)).mapToObj(Integer::toString).toList();
        }
        return switch (a.kind()) {
            case VBLORA -> AdapterWeights.vblora(a.vbloraConfig(), bm.id(), bm.weightsSha256(), a.vectorBank(),
                    a.vbloraModules().values(), a.head(), a.taskType(), labels, provenance);
            case LORA -> AdapterWeights.lora(a.loraConfig(), bm.id(), bm.weightsSha256(), a.loraModules().values(),
                    a.head(), a.taskType(), labels, provenance);
            case HEAD_ONLY -> throw Invalid.of("file", "a head-only adapter has no PEFT form");
        };
    }

    private Created store(String tenant, Lineage l, AdapterWeights adapter, byte[] bytes, String cfg, String source) {
        Accounting acc = Accounting.of(adapter, CompactFormat.storedOptions(bytes));
        String method = adapter.kind().id();
        String sha = java.util.HexFormat.of().formatHex(Spool.digest().digest(bytes));
        String id = Names.newId("adapter");
        String key = objectKey(tenant, id);
        Path tmp = spill(bytes);
        try {
            store.put(key, tmp, bytes.length, sha, "application/octet-stream");
        } finally {
            deleteQuietly(tmp);
        }
        try {
            String bankId = adapter.bankRef() == null ? null : adapter.bankRef().id();
            Optional<AdapterObject> inserted = db.tx(c -> insert(c, tenant, id, l, method, key, bytes.length, sha,
                    cfg, acc, source, bankId));
            if (inserted.isPresent()) {
                return new Created(inserted.get(), true);
            }
        } catch (RuntimeException e) {
            store.removeQuietly(key, e);
            throw e;
        }
        // a concurrent upload for the same job won: keep its adapter, drop ours
        store.remove(key);
        return new Created(byJob(tenant, l.jobId()).orElseThrow(), false);
    }

    private static Optional<AdapterObject> insert(Connection c, String tenant, String id, Lineage l, String method,
                                                  String key, long bytes, String sha, String cfg, Accounting acc,
                                                  String source, String vectorBank) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into artifacts.adapters (id, tenant, job_id, base_model, "
                + "training_file, method, format, object_key, bytes, sha256, config, trainable_params, "
                + "peft_savable_params, compact_bytes, source, vector_bank) "
                + "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?) "
                + "on conflict (tenant, job_id) do nothing returning " + COLUMNS)) {
            ps.setString(1, id);
            ps.setString(2, tenant);
            ps.setString(3, l.jobId());
            ps.setString(4, l.baseModel());
            ps.setString(5, l.trainingFile() == null || l.trainingFile().isEmpty() ? null : l.trainingFile());
            ps.setString(6, method);
            ps.setString(7, FORMAT);
            ps.setString(8, key);
            ps.setLong(9, bytes);
            ps.setString(10, sha);
            ps.setString(11, cfg);
            ps.setLong(12, acc.trainable());
            ps.setLong(13, acc.peftSavable());
            // the stored file's exact size (it may hold fp16 tensors), not Accounting's fp32 estimate
            ps.setLong(14, bytes);
            ps.setString(15, source);
            ps.setString(16, vectorBank);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    private Optional<AdapterObject> byJob(String tenant, String jobId) {
        return db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "select " + COLUMNS + " from artifacts.adapters where tenant = ? and job_id = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, jobId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    public Stored get(String tenant, String id) {
        Names.segment(tenant, "tenant");
        return db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "select " + COLUMNS + " from artifacts.adapters where tenant = ? and id = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw NotFound.of("adapter", id);
                    }
                    return new Stored(read(rs), rs.getString("object_key"));
                }
            }
        });
    }

    /** The stored compact file, verified. */
    public Spool compact(Stored s) {
        return store.fetchVerified(s.objectKey(), s.adapter().sha256());
    }

    /** The stored adapter's weights; a bank-referencing adapter's with its published bank. */
    public AdapterWeights load(Stored s) {
        try (Spool spool = compact(s)) {
            return CompactFormat.read(Files.readAllBytes(spool.file()), banks.source());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public BankUsage bankUsage(Stored s) {
        return BankUsage.of(s.adapter().id(), s.adapter().bytes(), load(s), config.bankUsageMaxSubVectors());
    }

    /**
     * The HF PEFT directory as a zip, for the bare encoder with vbank's head beside it. VB-LoRA in the save mode asked
     * for, else the one the adapter was stored in; full logits only where the stored adapter kept them.
     */
    public byte[] peftZip(Stored s, Boolean saveOnlyTopkWeights) {
        AdapterWeights a = load(s);
        if (a.kind() == AdapterKind.HEAD_ONLY) {
            throw Invalid.of("format", "a head_only adapter has no PEFT form; use format=compact or merged");
        }
        if (a.kind() != AdapterKind.VBLORA && saveOnlyTopkWeights != null) {
            throw Invalid.of("save_only_topk_weights", "save_only_topk_weights applies to VB-LoRA adapters; "
                    + "this one is " + a.kind().id());
        }
        boolean topk = a.kind() == AdapterKind.VBLORA
                && (saveOnlyTopkWeights != null ? saveOnlyTopkWeights : !a.trainable());
        if (a.kind() == AdapterKind.VBLORA && !topk && !a.trainable()) {
            throw Invalid.of("save_only_topk_weights", "this adapter was stored with top-k weights only "
                    + "(save_only_topk_weights), so it has no logits to export; ask for save_only_topk_weights=true");
        }
        BaseModel bm = BaseModels.get(s.adapter().baseModel());
        return PeftFormat.toFiles(a, new PeftFormat.Options(topk, "", PeftTargets.of(bm))).zip();
    }

    /** The base model's weights with the adapter merged in, as a vbank weight file (safetensors) in a temp file. */
    public Spool merged(Stored s) {
        AdapterWeights a = load(s);
        BaseModel model = BaseModels.get(s.adapter().baseModel());
        Map<String, FloatTensor> base;
        try {
            base = baseModels.local().load(model);
        } catch (IOException e) {
            throw new ObjectStore.StorageException("cannot load base model " + model.id(), e);
        }
        Map<String, FloatTensor> merged = Merger.merge(a, base);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", model.id());
        meta.put("merged_adapter", s.adapter().id());
        meta.put("adapter_sha256", s.adapter().sha256());
        try {
            Path tmp = store.tempDir() == null ? Files.createTempFile("vbank-", ".merged")
                    : Files.createTempFile(store.tempDir(), "vbank-", ".merged");
            try {
                WeightFile.write(tmp, merged, meta);
                return new Spool(tmp, Files.size(tmp), sha256(tmp));
            } catch (IOException | RuntimeException e) {
                deleteQuietly(tmp);
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha256(Path file) throws IOException {
        var sha = Spool.digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[256 * 1024];
            for (int n; (n = in.read(buf)) >= 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return java.util.HexFormat.of().formatHex(sha.digest());
    }

    private static byte[] readCapped(InputStream in, long cap) {
        try {
            byte[] b = in.readNBytes(Math.toIntExact(Math.min(cap + 1, Integer.MAX_VALUE - 8)));
            if (b.length > cap) {
                throw TooLarge.of("body", cap);
            }
            return b;
        } catch (IOException e) {
            throw Invalid.of("body", "the upload broke off: " + e.getMessage());
        }
    }

    private Path spill(byte[] bytes) {
        try {
            Path tmp = store.tempDir() == null ? Files.createTempFile("vbank-", ".adapter")
                    : Files.createTempFile(store.tempDir(), "vbank-", ".adapter");
            Files.write(tmp, bytes);
            return tmp;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a temp file left behind is harmless
        }
    }

    private static AdapterObject read(ResultSet rs) throws SQLException {
        JsonNode cfg = null;
        String text = rs.getString("config");
        if (text != null) {
            try {
                cfg = JSON.readTree(text);
            } catch (IOException e) {
                throw new SQLException("config column is not JSON", e);
            }
        }
        return new AdapterObject(rs.getString("id"), "adapter", rs.getString("job_id"), rs.getString("base_model"),
                rs.getString("training_file"), rs.getString("method"), rs.getString("format"), rs.getLong("bytes"),
                rs.getString("sha256"), rs.getTimestamp("created_at").toInstant().getEpochSecond(), cfg,
                new AdapterObject.Parameters(rs.getLong("trainable_params"), rs.getLong("peft_savable_params"),
                        rs.getLong("compact_bytes")), rs.getString("source"), rs.getString("vector_bank"));
    }
}

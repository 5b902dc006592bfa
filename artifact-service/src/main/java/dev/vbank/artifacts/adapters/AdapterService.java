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
import dev.vbank.vblora.format.Accounting;
import dev.vbank.vblora.format.AdapterKind;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.FormatException;
import dev.vbank.vblora.format.PeftFormat;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.ByteArrayOutputStream;
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
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Trained adapters in vbank's compact format: exactly one per (tenant, job); PEFT and merged forms built on read. */
@ApplicationScoped
public class AdapterService {

    public static final String FORMAT = "vbank-compact";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COLUMNS = "id, job_id, base_model, training_file, method, format, object_key, bytes, "
            + "sha256, config::text as config, trainable_params, peft_savable_params, compact_bytes, created_at";

    private final Db db;
    private final ObjectStore store;
    private final ArtifactsConfig config;
    private final BaseModelService baseModels;

    public AdapterService(Db db, ObjectStore store, ArtifactsConfig config, BaseModelService baseModels) {
        this.db = db;
        this.store = store;
        this.config = config;
        this.baseModels = baseModels;
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
        try {
            manifest = CompactFormat.readManifest(bytes);
            adapter = CompactFormat.read(bytes);
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
        Accounting acc = Accounting.of(adapter, CompactFormat.Options.FP32);
        JsonNode cfg = manifest.get("config");
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
            Optional<AdapterObject> inserted = db.tx(c -> insert(c, tenant, id, l, method, key, bytes.length, sha,
                    cfg == null || cfg.isNull() ? null : cfg.toString(), acc));
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
                                                  String key, long bytes, String sha, String cfg, Accounting acc)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into artifacts.adapters (id, tenant, job_id, base_model, "
                + "training_file, method, format, object_key, bytes, sha256, config, trainable_params, "
                + "peft_savable_params, compact_bytes) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?) "
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

    private AdapterWeights load(Stored s) {
        try (Spool spool = compact(s)) {
            return CompactFormat.read(Files.readAllBytes(spool.file()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public BankUsage bankUsage(Stored s) {
        return BankUsage.of(s.adapter().id(), s.adapter().bytes(), load(s), config.bankUsageMaxSubVectors());
    }

    /** The HF PEFT directory as a zip; VB-LoRA as top-k only, since the compact file keeps no logits. */
    public byte[] peftZip(Stored s) {
        AdapterWeights a = load(s);
        if (a.kind() == AdapterKind.HEAD_ONLY) {
            throw Invalid.of("format", "a head_only adapter has no PEFT form; use format=compact or merged");
        }
        PeftFormat.Files2 files = PeftFormat.toBytes(a, a.kind() == AdapterKind.VBLORA
                ? PeftFormat.Options.topkOnly() : PeftFormat.Options.full());
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bos)) {
            for (Map.Entry<String, byte[]> e : Map.of(PeftFormat.CONFIG_FILE, files.adapterConfig(),
                    PeftFormat.WEIGHTS_FILE, files.adapterModel()).entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setTime(0L);
                zip.putNextEntry(entry);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
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
                        rs.getLong("compact_bytes")));
    }
}

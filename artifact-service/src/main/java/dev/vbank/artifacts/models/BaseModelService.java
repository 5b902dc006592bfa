package dev.vbank.artifacts.models;

import dev.vbank.artifacts.ArtifactsConfig;
import dev.vbank.artifacts.store.ObjectStore;
import dev.vbank.artifacts.store.Spool;
import dev.vbank.service.db.Db;
import dev.vbank.service.error.NotFound;
import dev.vbank.service.error.Unavailable;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.text.model.BaseModels;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry's base models in the bucket: each converted once by vblora-text's {@link BaseModelStore} (a local cache
 * directory) and uploaded to {@code base-models/{id}/weights.safetensors} with the file's sha256 in a row.
 */
@ApplicationScoped
public class BaseModelService {

    private static final Logger LOG = Logger.getLogger(BaseModelService.class);

    public enum State { pending, ready, failed }

    private final Db db;
    private final ObjectStore store;
    private final BaseModelStore local;
    private final Map<String, String> failures = new ConcurrentHashMap<>();

    public BaseModelService(Db db, ObjectStore store, ArtifactsConfig config) {
        this.db = db;
        this.store = store;
        // the application class loader sees the ONNX jars in tests and in the packaged app alike
        this.local = new BaseModelStore(config.baseModels().cacheDir().orElseGet(BaseModelStore::defaultDirectory),
                BaseModelService.class.getClassLoader());
    }

    public static String objectKey(String id) {
        return "base-models/" + id + "/" + BaseModelStore.FILE_NAME;
    }

    public BaseModelStore local() {
        return local;
    }

    public record Row(String id, String objectKey, long bytes, String sha256) {
    }

    public Optional<Row> row(String id) {
        return db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "select id, object_key, bytes, sha256 from artifacts.base_models where id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(new Row(rs.getString(1), rs.getString(2), rs.getLong(3),
                            rs.getString(4))) : Optional.empty();
                }
            }
        });
    }

    /**
     * Converts (if the local cache lacks it) and uploads one model unless the row and the object already hold this
     * exact file; returns true when it uploaded.
     */
    public boolean seed(BaseModel model) throws IOException {
        Path file = local.ensureConverted(model);
        long bytes = Files.size(file);
        String sha = sha256(file);
        String key = objectKey(model.id());
        Optional<Row> row = row(model.id());
        Optional<ObjectStore.Stat> stat = store.stat(key);
        if (row.isPresent() && row.get().sha256().equals(sha) && row.get().bytes() == bytes && stat.isPresent()
                && stat.get().bytes() == bytes && sha.equals(stat.get().sha256())) {
            failures.remove(model.id());
            return false;
        }
        store.put(key, file, bytes, sha, "application/octet-stream");
        db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("insert into artifacts.base_models "
                    + "(id, object_key, bytes, sha256, weights_sha256) values (?, ?, ?, ?, ?) on conflict (id) do update "
                    + "set object_key = excluded.object_key, bytes = excluded.bytes, sha256 = excluded.sha256, "
                    + "weights_sha256 = excluded.weights_sha256, created_at = now()")) {
                ps.setString(1, model.id());
                ps.setString(2, key);
                ps.setLong(3, bytes);
                ps.setString(4, sha);
                ps.setString(5, model.weightsSha256());
                return ps.executeUpdate();
            }
        });
        failures.remove(model.id());
        LOG.infof("base model %s uploaded to %s (%d bytes, sha256 %s)", model.id(), key, bytes, sha);
        return true;
    }

    void failed(BaseModel model, Exception e) {
        failures.put(model.id(), e.toString());
    }

    public record Entry(String id, String object, String architecture, int layers, int hiddenSize, int heads,
                        int intermediateSize, int maxPositions, String pooling, String licence, String modelCard,
                        String textPrefix, String weightsSha256, String status, String statusDetails, String objectKey,
                        Long bytes, String sha256) {
    }

    public List<Entry> list() {
        List<Entry> out = new ArrayList<>();
        for (BaseModel m : BaseModels.all()) {
            out.add(entry(m));
        }
        return out;
    }

    public Entry entry(BaseModel m) {
        Optional<Row> row = row(m.id());
        String failure = failures.get(m.id());
        String status = row.isPresent() ? State.ready.name() : failure != null ? State.failed.name() : State.pending.name();
        return new Entry(m.id(), "base_model", m.architecture(), m.layers(), m.hiddenSize(), m.heads(),
                m.intermediateSize(), m.maxPositions(), m.pooling().name().toLowerCase(), m.licence(), m.modelCard(),
                m.textPrefix(), m.weightsSha256(), status, row.isPresent() ? null : failure,
                row.map(Row::objectKey).orElse(null), row.map(Row::bytes).orElse(null), row.map(Row::sha256).orElse(null));
    }

    public BaseModel model(String id) {
        return BaseModels.find(id).orElseThrow(() -> new NotFound("base_model_not_found",
                "no base model " + id + "; known: " + BaseModels.all().stream().map(BaseModel::id).toList(), "id"));
    }

    public Row ready(String id) {
        model(id);
        return row(id).orElseThrow(() -> new Unavailable("base_model_not_ready",
                "base model " + id + " is not in object storage yet"
                        + (failures.containsKey(id) ? " (" + failures.get(id) + ")" : "; try again shortly"), "id"));
    }

    static String sha256(Path file) throws IOException {
        MessageDigest sha = Spool.digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[256 * 1024];
            for (int n; (n = in.read(buf)) >= 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}

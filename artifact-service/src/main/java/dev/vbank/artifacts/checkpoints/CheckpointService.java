package dev.vbank.artifacts.checkpoints;

import dev.vbank.artifacts.ArtifactsConfig;
import dev.vbank.artifacts.domain.ListPage;
import dev.vbank.artifacts.domain.Names;
import dev.vbank.artifacts.store.ObjectStore;
import dev.vbank.artifacts.store.Spool;
import dev.vbank.service.db.Db;
import dev.vbank.service.error.Invalid;
import dev.vbank.service.error.TooLarge;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Training checkpoints: one zip per (job, step); a second put of the same step replaces the first. */
@ApplicationScoped
public class CheckpointService {

    private static final String COLUMNS = "job_id, step, object_key, bytes, sha256, created_at";
    // local file header, or the end-of-central-directory record of an empty archive
    private static final byte[][] ZIP_MAGIC = {{'P', 'K', 3, 4}, {'P', 'K', 5, 6}};

    private final Db db;
    private final ObjectStore store;
    private final ArtifactsConfig config;

    public CheckpointService(Db db, ObjectStore store, ArtifactsConfig config) {
        this.db = db;
        this.store = store;
        this.config = config;
    }

    public static String objectKey(String tenant, String jobId, long step) {
        return "tenants/" + tenant + "/checkpoints/" + jobId + "/" + step;
    }

    public CheckpointObject put(String tenant, String jobId, long step, long contentLength, InputStream body) {
        Names.segment(tenant, "tenant");
        Names.segment(jobId, "job_id");
        if (step < 0) {
            throw Invalid.of("step", "step must be >= 0");
        }
        if (contentLength > config.checkpointMaxBytes()) {
            throw TooLarge.of("body", config.checkpointMaxBytes());
        }
        Spool spool;
        try {
            spool = Spool.receive(body, config.checkpointMaxBytes(), store.tempDir());
        } catch (Spool.TooLarge e) {
            throw TooLarge.of("body", e.limit);
        } catch (IOException e) {
            throw Invalid.of("body", "the upload broke off: " + e.getMessage());
        }
        try (spool) {
            requireZip(spool);
            String key = objectKey(tenant, jobId, step);
            store.put(key, spool.file(), spool.bytes(), spool.sha256(), "application/zip");
            try {
                return db.tx(c -> {
                    try (PreparedStatement ps = c.prepareStatement("insert into artifacts.checkpoints "
                            + "(tenant, job_id, step, object_key, bytes, sha256) values (?, ?, ?, ?, ?, ?) "
                            + "on conflict (tenant, job_id, step) do update set bytes = excluded.bytes, "
                            + "sha256 = excluded.sha256, created_at = now() returning " + COLUMNS)) {
                        ps.setString(1, tenant);
                        ps.setString(2, jobId);
                        ps.setLong(3, step);
                        ps.setString(4, key);
                        ps.setLong(5, spool.bytes());
                        ps.setString(6, spool.sha256());
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            return read(rs);
                        }
                    }
                });
            } catch (RuntimeException e) {
                // the object was overwritten: a row left with the old sha256 would only fail every read
                store.removeQuietly(key, e);
                try {
                    db.tx(c -> {
                        try (PreparedStatement ps = c.prepareStatement(
                                "delete from artifacts.checkpoints where tenant = ? and job_id = ? and step = ?")) {
                            ps.setString(1, tenant);
                            ps.setString(2, jobId);
                            ps.setLong(3, step);
                            return ps.executeUpdate();
                        }
                    });
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }
    }

    private static void requireZip(Spool spool) {
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(spool.file())) {
            if (in.readNBytes(head, 0, 4) == 4 && (Arrays.equals(head, ZIP_MAGIC[0]) || Arrays.equals(head, ZIP_MAGIC[1]))) {
                return;
            }
        } catch (IOException e) {
            throw new ObjectStore.StorageException("cannot read the spooled upload", e);
        }
        throw Invalid.of("body", "a checkpoint must be a zip archive");
    }

    public ListPage<CheckpointObject> list(String tenant, String jobId) {
        Names.segment(tenant, "tenant");
        Names.segment(jobId, "job_id");
        return db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS
                    + " from artifacts.checkpoints where tenant = ? and job_id = ? order by step")) {
                ps.setString(1, tenant);
                ps.setString(2, jobId);
                List<CheckpointObject> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(read(rs));
                    }
                }
                return ListPage.of(out, false);
            }
        });
    }

    public Optional<CheckpointObject> find(String tenant, String jobId, long step) {
        Names.segment(tenant, "tenant");
        Names.segment(jobId, "job_id");
        return db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS
                    + " from artifacts.checkpoints where tenant = ? and job_id = ? and step = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, jobId);
                ps.setLong(3, step);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    private static CheckpointObject read(ResultSet rs) throws SQLException {
        return new CheckpointObject("fine_tuning.job.checkpoint", rs.getString("job_id"), rs.getLong("step"),
                rs.getString("object_key"), rs.getLong("bytes"), rs.getString("sha256"),
                rs.getTimestamp("created_at").toInstant().getEpochSecond());
    }
}

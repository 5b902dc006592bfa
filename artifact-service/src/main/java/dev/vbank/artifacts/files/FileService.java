package dev.vbank.artifacts.files;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vbank.artifacts.FilesConfig;
import dev.vbank.artifacts.domain.ListPage;
import dev.vbank.artifacts.domain.Names;
import dev.vbank.artifacts.store.ObjectStore;
import dev.vbank.artifacts.store.Spool;
import dev.vbank.service.db.Db;
import dev.vbank.service.error.Invalid;
import dev.vbank.service.error.NotFound;
import dev.vbank.service.error.TooLarge;
import dev.vbank.text.data.DataFormat;
import dev.vbank.text.data.DatasetException;
import dev.vbank.text.data.DatasetLimits;
import dev.vbank.text.data.DatasetReader;
import dev.vbank.text.data.Example;
import dev.vbank.text.data.RawDataset;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Dataset files: spooled and hashed, validated with vblora-text's reader, stored, then recorded. */
@ApplicationScoped
public class FileService {

    public static final String PURPOSE = "fine-tune";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COLUMNS =
            "id, bytes, created_at, filename, purpose, sha256, status, status_details, rows, labels::text, object_key";

    private final Db db;
    private final ObjectStore store;
    private final FilesConfig config;

    public FileService(Db db, ObjectStore store, FilesConfig config) {
        this.db = db;
        this.store = store;
        this.config = config;
    }

    public static String objectKey(String tenant, String id) {
        return "tenants/" + tenant + "/files/" + id;
    }

    public FileObject create(String tenant, String filename, String purpose, long contentLength, InputStream body) {
        Names.segment(tenant, "tenant");
        Names.filename(filename);
        if (purpose != null && !purpose.equals(PURPOSE)) {
            throw Invalid.of("purpose", "purpose must be '" + PURPOSE + "'");
        }
        if (contentLength > config.maxBytes()) {
            throw TooLarge.of("body", config.maxBytes());
        }
        try (Spool spool = receive(body)) {
            Validation v = validate(spool, filename);
            String id = Names.newId("file");
            String key = objectKey(tenant, id);
            store.put(key, spool.file(), spool.bytes(), spool.sha256(), "application/octet-stream");
            try {
                return db.tx(c -> {
                    try (PreparedStatement ps = c.prepareStatement("insert into artifacts.files (id, tenant, filename, "
                            + "purpose, object_key, bytes, sha256, status, status_details, rows, labels) "
                            + "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb) returning " + COLUMNS)) {
                        ps.setString(1, id);
                        ps.setString(2, tenant);
                        ps.setString(3, filename);
                        ps.setString(4, PURPOSE);
                        ps.setString(5, key);
                        ps.setLong(6, spool.bytes());
                        ps.setString(7, spool.sha256());
                        ps.setString(8, v.status());
                        ps.setString(9, v.details());
                        ps.setLong(10, v.rows());
                        ps.setString(11, json(v.labels()));
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            return read(rs);
                        }
                    }
                });
            } catch (RuntimeException e) {
                store.removeQuietly(key, e);
                throw e;
            }
        }
    }

    private Spool receive(InputStream body) {
        try {
            return Spool.receive(body, config.maxBytes(), store.tempDir());
        } catch (Spool.TooLarge e) {
            throw TooLarge.of("body", e.limit);
        } catch (IOException e) {
            throw Invalid.of("body", "the upload broke off: " + e.getMessage());
        }
    }

    record Validation(String status, String details, long rows, List<String> labels) {
    }

    private Validation validate(Spool spool, String filename) {
        DataFormat format = filename.toLowerCase(Locale.ROOT).endsWith(".csv") ? DataFormat.CSV : DataFormat.JSONL;
        DatasetLimits limits = new DatasetLimits(config.maxRows(), config.maxBytes(), config.maxTextChars(),
                config.maxErrors());
        try (InputStream in = Files.newInputStream(spool.file())) {
            RawDataset data = DatasetReader.read(in, filename, format, limits);
            Set<String> labels = new LinkedHashSet<>();
            for (Example e : data.examples()) {
                labels.add(e.label());
            }
            return new Validation("processed", null, data.size(), sortLabels(labels));
        } catch (DatasetException e) {
            return new Validation("error", e.getMessage(), 0, List.of());
        } catch (IOException | UncheckedIOException e) {
            throw new ObjectStore.StorageException("cannot read the spooled upload", e);
        }
    }

    /** Numeric labels in numeric order, others in string order. */
    static List<String> sortLabels(Set<String> labels) {
        List<String> out = new ArrayList<>(labels);
        boolean numeric = out.stream().allMatch(FileService::isNumber);
        out.sort(numeric ? Comparator.comparing(BigDecimal::new) : Comparator.naturalOrder());
        return out;
    }

    private static boolean isNumber(String s) {
        try {
            new BigDecimal(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    public FileObject get(String tenant, String id) {
        Names.segment(tenant, "tenant");
        return find(tenant, id).orElseThrow(() -> NotFound.of("file", id)).file();
    }

    public record Stored(FileObject file, String objectKey) {
    }

    public Optional<Stored> find(String tenant, String id) {
        return db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "select " + COLUMNS + " from artifacts.files where tenant = ? and id = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(new Stored(read(rs), rs.getString("object_key"))) : Optional.empty();
                }
            }
        });
    }

    public ListPage<FileObject> list(String tenant, String after, Integer limitParam) {
        Names.segment(tenant, "tenant");
        int limit = Names.limit(limitParam);
        return db.tx(c -> {
            String cursor = "";
            if (after != null && !after.isEmpty()) {
                if (!exists(c, tenant, after)) {
                    throw Invalid.of("after", "no file " + after + " to list after");
                }
                cursor = " and (created_at, id) < (select created_at, id from artifacts.files where tenant = ? and id = ?)";
            }
            try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from artifacts.files where tenant = ?"
                    + cursor + " order by created_at desc, id desc limit ?")) {
                int i = 1;
                ps.setString(i++, tenant);
                if (!cursor.isEmpty()) {
                    ps.setString(i++, tenant);
                    ps.setString(i++, after);
                }
                ps.setInt(i, limit + 1);
                List<FileObject> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(read(rs));
                    }
                }
                boolean more = out.size() > limit;
                return ListPage.of(more ? out.subList(0, limit) : out, more);
            }
        });
    }

    private static boolean exists(Connection c, String tenant, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select 1 from artifacts.files where tenant = ? and id = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Removes the row and the object together: the row stays when the object cannot be removed. */
    public void delete(String tenant, String id) {
        Names.segment(tenant, "tenant");
        db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "delete from artifacts.files where tenant = ? and id = ? returning object_key")) {
                ps.setString(1, tenant);
                ps.setString(2, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw NotFound.of("file", id);
                    }
                    store.remove(rs.getString(1));
                    return null;
                }
            }
        });
    }

    private static FileObject read(ResultSet rs) throws SQLException {
        List<String> labels;
        try {
            labels = JSON.readValue(rs.getString("labels"), new TypeReference<>() {
            });
        } catch (JsonProcessingException e) {
            throw new SQLException("labels column is not a JSON array", e);
        }
        return new FileObject(rs.getString("id"), "file", rs.getLong("bytes"),
                rs.getTimestamp("created_at").toInstant().getEpochSecond(), rs.getString("filename"),
                rs.getString("purpose"), rs.getString("sha256"), rs.getString("status"),
                rs.getString("status_details"), rs.getLong("rows"), labels);
    }

    private static String json(List<String> labels) {
        try {
            return JSON.writeValueAsString(labels);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

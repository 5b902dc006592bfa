package dev.vbank.artifacts.banks;

import dev.vbank.artifacts.store.ObjectStore;
import dev.vbank.artifacts.store.Spool;
import dev.vbank.service.db.Db;
import dev.vbank.service.error.NotFound;
import dev.vbank.vblora.format.CompactFormat;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/** Rows of {@code artifacts.vector_banks} and their bank files in S3 ({@code vector-banks/{sha256}}, stored once). */
@ApplicationScoped
public class VectorBankStore {

    static final String COLUMNS = "id, tenant, name, base_model, num_vectors, vector_length, sha256, bytes, object_key, "
            + "source_adapter, created_at";

    /** One bank's row; {@code tenant} null for a platform-wide bank. */
    public record Row(String id, String tenant, String name, String baseModel, int numVectors, int vectorLength,
                      String sha256, long bytes, String objectKey, String sourceAdapter, long createdAt) {

        public boolean platform() {
            return tenant == null;
        }

        public boolean visibleTo(String t) {
            return tenant == null || tenant.equals(t);
        }
    }

    private final Db db;
    private final ObjectStore store;

    public VectorBankStore(Db db, ObjectStore store) {
        this.db = db;
        this.store = store;
    }

    public static String objectKey(String sha256) {
        return "vector-banks/" + sha256;
    }

    public Optional<Row> find(String id) {
        return db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from artifacts.vector_banks where id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    /** The bank if the tenant may use it (its own or platform-wide); another tenant's private bank is not found. */
    public Row visible(String tenant, String id) {
        return find(id).filter(r -> r.visibleTo(tenant)).orElseThrow(() -> NotFound.of("vector_bank", id));
    }

    /** The bank file, sha256-verified. */
    public byte[] content(Row r) {
        try (Spool s = store.fetchVerified(r.objectKey(), r.sha256())) {
            return Files.readAllBytes(s.file());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bank files of referenced banks by id (the reader checks the reference's sha256 against the file). */
    public CompactFormat.BankSource source() {
        return ref -> find(ref.id()).map(this::content).orElse(null);
    }

    static Row read(ResultSet rs) throws SQLException {
        return new Row(rs.getString("id"), rs.getString("tenant"), rs.getString("name"), rs.getString("base_model"),
                rs.getInt("num_vectors"), rs.getInt("vector_length"), rs.getString("sha256"), rs.getLong("bytes"),
                rs.getString("object_key"), rs.getString("source_adapter"),
                rs.getTimestamp("created_at").toInstant().getEpochSecond());
    }
}

package dev.vbank.artifacts.banks;

import dev.vbank.artifacts.adapters.AdapterService;
import dev.vbank.artifacts.domain.Names;
import dev.vbank.artifacts.store.ObjectStore;
import dev.vbank.service.db.Db;
import dev.vbank.service.error.Conflict;
import dev.vbank.service.error.Invalid;
import dev.vbank.service.error.NotFound;
import dev.vbank.vblora.format.AdapterKind;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.VectorBankFile;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Published vector banks: the bank of a trained VB-LoRA adapter, immutable and content-addressed. A tenant's own banks
 * and the platform-wide ones (tenant null, seeded by deploy) are visible to it; a bank cannot be deleted while an
 * adapter references it, and platform-wide banks are read-only for tenants. Banks with the same content share one
 * object, {@code vector-banks/{sha256}}; publishing the same content again for the same owner returns the existing bank.
 */
@ApplicationScoped
public class VectorBankService {

    private final Db db;
    private final ObjectStore store;
    private final AdapterService adapters;
    private final VectorBankStore banks;

    public VectorBankService(Db db, ObjectStore store, AdapterService adapters, VectorBankStore banks) {
        this.db = db;
        this.store = store;
        this.adapters = adapters;
        this.banks = banks;
    }

    public record Published(VectorBankObject bank, boolean created) {
    }

    /**
     * Publishes the bank of {@code fromAdapter} (an adapter of {@code adapterTenant}) for {@code owner}, or platform-wide
     * when {@code owner} is null.
     */
    public Published publish(String owner, String adapterTenant, String fromAdapter, String name) {
        Names.segment(adapterTenant, "tenant");
        if (fromAdapter == null || fromAdapter.isBlank()) {
            throw Invalid.of("from_adapter", "from_adapter is required: the id of a trained VB-LoRA adapter");
        }
        if (name != null && (name.length() > 128 || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f))) {
            throw Invalid.of("name", "name must be at most 128 characters without control characters");
        }
        AdapterService.Stored s;
        try {
            s = adapters.get(adapterTenant, fromAdapter);
        } catch (NotFound e) {
            throw new NotFound("adapter_not_found", "no adapter " + fromAdapter, "from_adapter");
        }
        if (s.adapter().vectorBank() != null) {
            throw Invalid.of("from_adapter", "adapter " + fromAdapter + " was trained against vector bank "
                    + s.adapter().vectorBank() + " and holds no bank of its own; use that bank");
        }
        AdapterWeights a = adapters.load(s);
        if (a.kind() != AdapterKind.VBLORA) {
            throw Invalid.of("from_adapter", "adapter " + fromAdapter + " is a " + a.kind().id()
                    + " adapter; only VB-LoRA adapters have a vector bank");
        }
        byte[] file = VectorBankFile.write(a.vectorBank());
        String sha = VectorBankFile.sha256(file);
        int h = a.vbloraConfig().numVectors();
        int b = a.vbloraConfig().vectorLength();
        String key = VectorBankStore.objectKey(sha);
        return db.tx(c -> {
            lock(c, sha);
            try (PreparedStatement ps = c.prepareStatement("select " + VectorBankStore.COLUMNS
                    + " from artifacts.vector_banks where sha256 = ? and tenant is not distinct from ? and base_model = ?")) {
                ps.setString(1, sha);
                ps.setString(2, owner);
                ps.setString(3, s.adapter().baseModel());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return new Published(object(c, VectorBankStore.read(rs), owner), false);
                    }
                }
            }
            // (re)written under the lock, so a concurrent delete of the last bank of this content cannot remove it
            put(key, file, sha);
            String id = Names.newId("vbank");
            try (PreparedStatement ps = c.prepareStatement("insert into artifacts.vector_banks (id, tenant, name, "
                    + "base_model, num_vectors, vector_length, sha256, bytes, object_key, source_adapter) "
                    + "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning " + VectorBankStore.COLUMNS)) {
                ps.setString(1, id);
                ps.setString(2, owner);
                ps.setString(3, name);
                ps.setString(4, s.adapter().baseModel());
                ps.setInt(5, h);
                ps.setInt(6, b);
                ps.setString(7, sha);
                ps.setLong(8, file.length);
                ps.setString(9, key);
                ps.setString(10, fromAdapter);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return new Published(object(c, VectorBankStore.read(rs), owner), true);
                }
            }
        });
    }

    /** The tenant's own banks and the platform-wide ones, newest first. */
    public List<VectorBankObject> list(String tenant) {
        Names.segment(tenant, "tenant");
        return db.tx(c -> {
            List<VectorBankObject> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select " + VectorBankStore.COLUMNS
                    + " from artifacts.vector_banks where tenant = ? or tenant is null"
                    + " order by created_at desc, id desc limit 1000")) {
                ps.setString(1, tenant);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(object(c, VectorBankStore.read(rs), tenant));
                    }
                }
            }
            return out;
        });
    }

    public VectorBankObject get(String tenant, String id) {
        Names.segment(tenant, "tenant");
        VectorBankStore.Row r = banks.visible(tenant, id);
        return db.tx(c -> object(c, r, tenant));
    }

    /**
     * How the tenant's adapters use the bank: which adapters reference it (newest first, at most 1,000) and how often
     * each bank vector is selected, summed over them (the dashboard's bank page).
     */
    public record Usage(String object, String vectorBank, int numVectors, int adapterCount, List<String> adapters,
                        long subVectors, long[] usage) {
    }

    public Usage usage(String tenant, String id) {
        Names.segment(tenant, "tenant");
        VectorBankStore.Row r = banks.visible(tenant, id);
        List<String> ids = db.tx(c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select id from artifacts.adapters where tenant = ? and "
                    + "vector_bank = ? order by created_at desc, id desc limit 1000")) {
                ps.setString(1, tenant);
                ps.setString(2, id);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
            }
            return out;
        });
        long[] usage = new long[r.numVectors()];
        long subVectors = 0;
        for (String adapterId : ids) {
            AdapterService.Stored s = adapters.get(tenant, adapterId);
            dev.vbank.artifacts.adapters.BankUsage u = dev.vbank.artifacts.adapters.BankUsage.of(adapterId,
                    s.adapter().bytes(), adapters.load(s), 0);
            for (int i = 0; i < usage.length && i < u.usage().length; i++) {
                usage[i] += u.usage()[i];
            }
            subVectors += u.subVectors();
        }
        return new Usage("vector_bank.usage", id, r.numVectors(), ids.size(), ids, subVectors, usage);
    }

    public byte[] content(String tenant, String id) {
        Names.segment(tenant, "tenant");
        return banks.content(banks.visible(tenant, id));
    }

    /**
     * Deletes a bank of {@code owner} (null: a platform-wide bank, the admin's call). 404 for a bank the owner cannot
     * see, 409 for a platform-wide bank asked by a tenant or a bank any adapter references.
     */
    public void delete(String owner, String id) {
        VectorBankStore.Row r = owner == null
                ? banks.find(id).filter(VectorBankStore.Row::platform).orElseThrow(() -> NotFound.of("vector_bank", id))
                : banks.visible(owner, id);
        if (owner != null && r.platform()) {
            throw new Conflict("vector_bank_read_only", "vector bank " + id + " is platform-wide and read-only", "id");
        }
        db.tx(c -> {
            lock(c, r.sha256());
            long refs;
            try (PreparedStatement ps = c.prepareStatement(
                    "select count(*) from artifacts.adapters where vector_bank = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    refs = rs.getLong(1);
                }
            }
            if (refs > 0) {
                throw new Conflict("vector_bank_in_use", "vector bank " + id + " is referenced by " + refs
                        + " adapter" + (refs == 1 ? "" : "s") + "; it cannot be deleted while referenced", "id");
            }
            try (PreparedStatement ps = c.prepareStatement("delete from artifacts.vector_banks where id = ?")) {
                ps.setString(1, id);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "select count(*) from artifacts.vector_banks where sha256 = ?")) {
                ps.setString(1, r.sha256());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        store.remove(r.objectKey());
                    }
                }
            }
            return null;
        });
    }

    private static void lock(Connection c, String sha) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select pg_advisory_xact_lock(hashtext(?))")) {
            ps.setString(1, "vector-bank:" + sha);
            ps.execute();
        }
    }

    private void put(String key, byte[] file, String sha) {
        try {
            Path tmp = store.tempDir() == null ? Files.createTempFile("vbank-", ".bank")
                    : Files.createTempFile(store.tempDir(), "vbank-", ".bank");
            try {
                Files.write(tmp, file);
                store.put(key, tmp, file.length, sha, "application/octet-stream");
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The wire object; {@code adapters} counts the asking tenant's adapters that reference it (all when null). */
    private static VectorBankObject object(Connection c, VectorBankStore.Row r, String tenant) throws SQLException {
        long n;
        try (PreparedStatement ps = c.prepareStatement("select count(*) from artifacts.adapters where vector_bank = ?"
                + (tenant == null ? "" : " and tenant = ?"))) {
            ps.setString(1, r.id());
            if (tenant != null) {
                ps.setString(2, tenant);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                n = rs.getLong(1);
            }
        }
        return new VectorBankObject(r.id(), "vector_bank", r.name(), r.platform() ? "platform" : "tenant",
                r.baseModel(), r.numVectors(), r.vectorLength(), r.sha256(), r.bytes(), r.sourceAdapter(),
                r.createdAt(), n);
    }
}

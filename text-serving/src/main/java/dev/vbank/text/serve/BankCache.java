package dev.vbank.text.serve;

import dev.vbank.vblora.format.BankRef;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.SharedBank;

import java.util.HashMap;
import java.util.Map;

/**
 * Published vector banks held once for every cached adapter that references them, by sha256 (the bank file's content
 * address). Each packed adapter holds one reference from its load until it is closed; the last release drops the
 * bank. {@link #bytes()} is what the banks occupy (fp32 values), charged once per bank however many adapters use it.
 */
public final class BankCache {

    private static final class Entry {
        final SharedBank bank;
        int refs;

        Entry(SharedBank bank) {
            this.bank = bank;
        }
    }

    private final Map<String, Entry> banks = new HashMap<>();
    private long bytes;
    private long fetches;

    /**
     * The bank of {@code ref} with a reference taken: the held one, or read from {@code source} (sha256 checked) when
     * no cached adapter references it yet.
     */
    public SharedBank acquire(BankRef ref, CompactFormat.BankSource source) {
        synchronized (this) {
            Entry e = banks.get(ref.sha256());
            if (e != null) {
                e.refs++;
                return e.bank;
            }
        }
        byte[] file = source == null ? null : source.bankFile(ref);
        if (file == null) {
            throw new CompactFormat.BankRequiredException(ref);
        }
        SharedBank loaded = SharedBank.of(ref, file);
        synchronized (this) {
            fetches++;
            Entry e = banks.get(ref.sha256());
            if (e == null) {
                e = new Entry(loaded);
                banks.put(ref.sha256(), e);
                bytes += bankBytes(loaded);
            }
            e.refs++;
            return e.bank;
        }
    }

    /** Drops a reference taken by {@link #acquire}; the last one frees the bank. */
    public synchronized void release(BankRef ref) {
        Entry e = banks.get(ref.sha256());
        if (e == null || e.refs == 0) {
            throw new IllegalStateException("vector bank " + ref.id() + ": released more often than acquired");
        }
        if (--e.refs == 0) {
            banks.remove(ref.sha256());
            bytes -= bankBytes(e.bank);
        }
    }

    /** Banks held now. */
    public synchronized int size() {
        return banks.size();
    }

    public synchronized boolean holds(String sha256) {
        return banks.containsKey(sha256);
    }

    /** References to the bank {@code sha256} (0 when not held). */
    public synchronized int references(String sha256) {
        Entry e = banks.get(sha256);
        return e == null ? 0 : e.refs;
    }

    /** Bytes of the banks held now. */
    public synchronized long bytes() {
        return bytes;
    }

    /** Bank files read so far (one per bank that was not held when an adapter needed it). */
    public synchronized long fetches() {
        return fetches;
    }

    static long bankBytes(SharedBank b) {
        return 4L * b.bank().numel();
    }
}

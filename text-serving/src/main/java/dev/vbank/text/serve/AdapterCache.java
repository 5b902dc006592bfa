package dev.vbank.text.serve;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionException;

/**
 * Composed adapters by key, least recently used first out once their resident bytes pass the budget (the newest entry
 * always stays, even alone over budget). Concurrent misses on one key load it once. {@link #get} hands out a reference
 * the caller must {@link ServedAdapter#release() release}.
 * <p>
 * Bank-referencing adapters loaded with {@link #banks()} are cached packed and charged their packed bytes; the banks
 * they share are charged once each ({@link BankCache#bytes()}), and a bank leaves with the last adapter that uses it.
 * {@link Stats#bytes()} is adapters plus banks, {@link Stats#bankBytes()} the banks' part.
 */
public final class AdapterCache implements AutoCloseable {

    /** Loads an adapter that is not cached (fetch + compose); may throw. */
    @FunctionalInterface
    public interface Loader {
        ServedAdapter load(String key) throws Exception;
    }

    public record Stats(int entries, long bytes, long budget, long hits, long misses, long evictions, int banks,
                        long bankBytes) {
        public Stats(int entries, long bytes, long budget, long hits, long misses, long evictions) {
            this(entries, bytes, budget, hits, misses, evictions, 0, 0);
        }
    }

    private final long budgetBytes;
    private final BankCache banks = new BankCache();
    private final LinkedHashMap<String, ServedAdapter> entries = new LinkedHashMap<>(16, 0.75f, true);
    private final ConcurrentHashMap<String, CompletableFuture<ServedAdapter>> loading = new ConcurrentHashMap<>();
    private long bytes;
    private long hits;
    private long misses;
    private long evictions;

    public AdapterCache(long budgetBytes) {
        if (budgetBytes < 1) {
            throw new IllegalArgumentException("cache-bytes: must be >= 1, was " + budgetBytes);
        }
        this.budgetBytes = budgetBytes;
    }

    /** The cached adapter, or the loader's, with a reference taken for the caller. */
    public ServedAdapter get(String key, Loader loader) throws Exception {
        while (true) {
            ServedAdapter cached = cached(key);
            if (cached != null) {
                return cached;
            }
            CompletableFuture<ServedAdapter> mine = new CompletableFuture<>();
            CompletableFuture<ServedAdapter> running = loading.putIfAbsent(key, mine);
            if (running == null) {
                try {
                    cached = cached(key);
                    if (cached != null) {
                        mine.complete(null);
                        return cached;
                    }
                    ServedAdapter loaded = loader.load(key);
                    ServedAdapter handed = put(key, loaded);
                    mine.complete(loaded);
                    return handed;
                } catch (Exception | Error e) {
                    mine.completeExceptionally(e);
                    throw e;
                } finally {
                    loading.remove(key, mine);
                }
            }
            try {
                running.join();
            } catch (CompletionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Exception ex) {
                    throw ex;
                }
                throw e;
            }
            // loaded by another caller (or evicted already): look again
        }
    }

    private synchronized ServedAdapter cached(String key) {
        ServedAdapter a = entries.get(key);
        if (a != null && a.acquire()) {
            hits++;
            return a;
        }
        return null;
    }

    private synchronized ServedAdapter put(String key, ServedAdapter loaded) {
        misses++;
        loaded.acquire();
        ServedAdapter previous = entries.put(key, loaded);
        if (previous != null) {
            bytes -= previous.residentBytes();
            previous.release();
        }
        bytes += loaded.residentBytes();
        Iterator<Map.Entry<String, ServedAdapter>> it = entries.entrySet().iterator();
        while (bytes + banks.bytes() > budgetBytes && entries.size() > 1 && it.hasNext()) {
            Map.Entry<String, ServedAdapter> eldest = it.next();
            if (eldest.getValue() == loaded) {
                continue;
            }
            it.remove();
            bytes -= eldest.getValue().residentBytes();
            evictions++;
            eldest.getValue().release();
        }
        return loaded;
    }

    public synchronized boolean contains(String key) {
        return entries.containsKey(key);
    }

    /** Drops one entry (e.g. an adapter its owner deleted); batches still running it keep their reference. */
    public synchronized void invalidate(String key) {
        ServedAdapter a = entries.remove(key);
        if (a != null) {
            bytes -= a.residentBytes();
            a.release();
        }
    }

    /** The shared banks of the packed adapters in this cache: pass it to {@link ServedAdapter#load} in a loader. */
    public BankCache banks() {
        return banks;
    }

    public synchronized Stats stats() {
        return new Stats(entries.size(), bytes + banks.bytes(), budgetBytes, hits, misses, evictions, banks.size(),
                banks.bytes());
    }

    @Override
    public synchronized void close() {
        entries.values().forEach(ServedAdapter::release);
        entries.clear();
        bytes = 0;
    }
}

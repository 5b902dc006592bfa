package dev.vbank.text.serve;

import ai.djl.ndarray.NDManager;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.eval.SuiteEvaluator;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.train.FineTuner;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.BankRef;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.SharedBank;
import dev.vbank.vblora.model.EncoderShape;
import dev.vbank.vblora.serve.ComposedAdapter;

import java.util.List;

/**
 * A stored adapter composed for serving, with what a request needs to know about it: its base model, the task its head
 * was trained for, class labels and the sequence length it was trained at (the evaluation uses the same). Reference
 * counted: the cache holds one reference and every batch that uses the adapter another, so an adapter evicted while
 * a batch still runs it is closed only when that batch is done.
 * <p>
 * A bank-referencing adapter loaded with a {@link BankCache} is kept <b>packed</b>: its compact bytes (uint8 top-k
 * indices, fp16 weights and head) and a reference to the bank held once in the cache; {@link #composeForBatch} builds
 * its factors from the shared bank for one batch, and the batch closes them. Its last release releases the bank.
 */
public final class ServedAdapter {

    private final String id;
    private final String sha256;
    private final long storedBytes;
    private final BaseModel baseModel;
    private final TaskType task;
    private final List<String> labels;
    private final int maxSeqLength;
    private final ComposedAdapter composed;
    private final byte[] packed;
    private final SharedBank bank;
    private final BankCache bankCache;
    private final EncoderShape shape;
    private int refs = 1;

    private ServedAdapter(String id, String sha256, long storedBytes, BaseModel baseModel, TaskType task,
                          List<String> labels, int maxSeqLength, ComposedAdapter composed) {
        this(id, sha256, storedBytes, baseModel, task, labels, maxSeqLength, composed, null, null, null, null);
    }

    private ServedAdapter(String id, String sha256, long storedBytes, BaseModel baseModel, TaskType task,
                          List<String> labels, int maxSeqLength, ComposedAdapter composed, byte[] packed,
                          SharedBank bank, BankCache bankCache, EncoderShape shape) {
        this.packed = packed;
        this.bank = bank;
        this.bankCache = bankCache;
        this.shape = shape;
        this.id = id;
        this.sha256 = sha256;
        this.storedBytes = storedBytes;
        this.baseModel = baseModel;
        this.task = task;
        this.labels = labels;
        this.maxSeqLength = maxSeqLength;
        this.composed = composed;
    }

    /**
     * Reads compact bytes and composes them on a sub-manager of {@code parent}.
     *
     * @throws IllegalArgumentException bytes that are no adapter, an unregistered base model or other base weights
     */
    public static ServedAdapter load(NDManager parent, String id, String sha256, byte[] compact) {
        return load(parent, id, sha256, compact, null);
    }

    /** As above; a bank-referencing adapter gets its published bank from {@code banks} (sha256 checked). */
    public static ServedAdapter load(NDManager parent, String id, String sha256, byte[] compact,
                                     CompactFormat.BankSource banks) {
        AdapterWeights w = CompactFormat.read(compact, banks);
        BaseModel bm = BaseModels.of(w);
        return compose(parent, id, sha256, compact.length, bm, w);
    }

    /**
     * As above, but a bank-referencing adapter stays packed: its bank is taken from (or read once into) {@code banks}
     * and its factors are composed per batch ({@link #composeForBatch}). Other adapters are composed as before.
     */
    public static ServedAdapter load(NDManager parent, String id, String sha256, byte[] compact,
                                     CompactFormat.BankSource source, BankCache banks) {
        BankRef ref = CompactFormat.bankRef(compact);
        if (ref == null || banks == null) {
            return load(parent, id, sha256, compact, source);
        }
        SharedBank bank = banks.acquire(ref, source);
        try {
            AdapterWeights w = CompactFormat.read(compact, bank);
            BaseModel bm = BaseModels.of(w);
            EncoderShape shape = FineTuner.shapeOf(bm);
            // composing once checks that every module and the head fit the encoder; the factors are dropped
            ComposedAdapter.compose(parent, w, shape).close();
            int seqLen = Math.min(bm.maxPositions(), SuiteEvaluator.recordedSeqLength(w));
            return new ServedAdapter(id, sha256, compact.length, bm, SuiteEvaluator.recordedTask(w), w.labels(),
                    seqLen, null, compact.clone(), bank, banks, shape);
        } catch (RuntimeException | Error e) {
            banks.release(ref);
            throw e;
        }
    }

    /** An adapter from weights already in memory (tests, benchmarks). */
    public static ServedAdapter compose(NDManager parent, String id, String sha256, long storedBytes, BaseModel bm,
                                        AdapterWeights w) {
        int seqLen = Math.min(bm.maxPositions(), SuiteEvaluator.recordedSeqLength(w));
        ComposedAdapter composed = ComposedAdapter.compose(parent, w, FineTuner.shapeOf(bm));
        return new ServedAdapter(id, sha256, storedBytes, bm, SuiteEvaluator.recordedTask(w), w.labels(), seqLen,
                composed);
    }

    public String id() {
        return id;
    }

    public String sha256() {
        return sha256;
    }

    public long storedBytes() {
        return storedBytes;
    }

    public BaseModel baseModel() {
        return baseModel;
    }

    public TaskType task() {
        return task;
    }

    public List<String> labels() {
        return labels;
    }

    public int maxSeqLength() {
        return maxSeqLength;
    }

    /** The composed factors of an adapter cached composed; a packed one has none ({@link #composeForBatch}). */
    public ComposedAdapter composed() {
        if (composed == null) {
            throw new IllegalStateException(id + " is cached packed; compose it per batch");
        }
        return composed;
    }

    /** Whether this adapter is cached packed (bank-referencing: top-k selections and head, the bank shared). */
    public boolean packed() {
        return packed != null;
    }

    /** The shared bank a packed adapter references (null otherwise). */
    public BankRef bankRef() {
        return bank == null ? null : bank.ref();
    }

    /**
     * Factors for one batch, on a sub-manager of {@code parent}: a packed adapter's composed from the shared bank (the
     * caller closes them after the batch), a composed adapter's own (not to be closed by the caller; see
     * {@link #packed()}).
     */
    public ComposedAdapter composeForBatch(NDManager parent) {
        if (packed == null) {
            return composed;
        }
        return ComposedAdapter.compose(parent, CompactFormat.read(packed, bank), shape);
    }

    /**
     * What the cache charges for this adapter, plus its labels: the composed factors and head, or for a packed adapter
     * its packed bytes (the shared bank is charged once, by the {@link BankCache}).
     */
    public long residentBytes() {
        long own = packed != null ? packed.length : composed.residentBytes();
        return own + labels.stream().mapToLong(l -> 2L * l.length()).sum();
    }

    /** Takes a reference; false when the adapter was already closed. */
    public synchronized boolean acquire() {
        if (refs == 0) {
            return false;
        }
        refs++;
        return true;
    }

    /** Drops a reference; the last one closes the composed arrays. */
    public synchronized void release() {
        if (refs == 0) {
            throw new IllegalStateException(id + ": released more often than acquired");
        }
        if (--refs == 0) {
            if (composed != null) {
                composed.close();
            }
            if (bank != null) {
                bankCache.release(bank.ref());
            }
        }
    }

    public synchronized boolean closed() {
        return refs == 0;
    }
}

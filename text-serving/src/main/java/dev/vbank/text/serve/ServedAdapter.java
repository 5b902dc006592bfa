package dev.vbank.text.serve;

import ai.djl.ndarray.NDManager;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.eval.SuiteEvaluator;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.train.FineTuner;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.serve.ComposedAdapter;

import java.util.List;

/**
 * A stored adapter composed for serving, with what a request needs to know about it: its base model, the task its head
 * was trained for, class labels and the sequence length it was trained at (the evaluation uses the same). Reference
 * counted: the cache holds one reference and every batch that uses the adapter another, so an adapter evicted while
 * a batch still runs it is closed only when that batch is done.
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
    private int refs = 1;

    private ServedAdapter(String id, String sha256, long storedBytes, BaseModel baseModel, TaskType task,
                          List<String> labels, int maxSeqLength, ComposedAdapter composed) {
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

    public ComposedAdapter composed() {
        return composed;
    }

    /** What the cache charges for this adapter: the composed factors and head, plus its labels. */
    public long residentBytes() {
        return composed.residentBytes() + labels.stream().mapToLong(l -> 2L * l.length()).sum();
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
            composed.close();
        }
    }

    public synchronized boolean closed() {
        return refs == 0;
    }
}

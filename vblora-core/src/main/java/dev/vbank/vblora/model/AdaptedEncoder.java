package dev.vbank.vblora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.precision.BaseMath;
import dev.vbank.vblora.precision.Precision;
import dev.vbank.vblora.precision.PrecisionUnavailableException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A frozen BERT encoder with an adapter (VB-LoRA, LoRA or none) and a trainable head; an
 * AdapterMethod builds one. Forward passes run inside a
 * caller's per-step manager: every array the pass touches is temporarily attached to it, so all intermediates die with it.
 */
public final class AdaptedEncoder implements AutoCloseable {

    private final EncoderWeights base;
    private final Adapter adapter;
    private final ClassificationHead head;
    private boolean merged;
    private BaseMath trainingMath = BaseMath.FP32;

    public AdaptedEncoder(EncoderWeights base, Adapter adapter, ClassificationHead head) {
        this.base = base;
        this.adapter = adapter;
        this.head = head;
    }

    public EncoderWeights base() {
        return base;
    }

    public Adapter adapter() {
        return adapter;
    }

    public ClassificationHead head() {
        return head;
    }

    public boolean isMerged() {
        return merged;
    }

    /**
     * Runs the base's linear layers of training forward passes in {@code precision} from now on (evaluation stays fp32).
     * Throws {@link PrecisionUnavailableException} when this build or machine cannot, leaving the model as it was.
     */
    public void trainIn(Precision precision, NDManager manager) {
        BaseMath next = BaseMath.open(precision, manager);
        trainingMath.close();
        trainingMath = next;
    }

    /** Adapter parameters, then the head's. */
    public List<TrainableParameter> parameters() {
        List<TrainableParameter> out = new ArrayList<>(adapter.parameters());
        out.addAll(head.parameters());
        return out;
    }

    /** Attaches the base weights and the trainable parameters to {@code step} until it closes. */
    public void attachTo(NDManager step) {
        for (NDArray a : base.all()) {
            tempAttach(a, step);
        }
        for (TrainableParameter p : parameters()) {
            tempAttach(p.array(), step);
        }
        for (NDArray a : adapter.frozenArrays()) {
            tempAttach(a, step);
        }
    }

    private static void tempAttach(NDArray a, NDManager step) {
        if (a.getManager() != step) {
            a.tempAttach(step);
        }
    }

    /** Logits (B, numLabels) for a batch; its arrays live in {@code step}. */
    public NDArray forward(NDManager step, Batch batch, boolean training) {
        if (training && merged) {
            throw new IllegalStateException("cannot train a merged model: unmerge() first");
        }
        if (training && !adapter.trainable()) {
            throw new IllegalStateException("this " + adapter.kind() + " adapter was loaded from top-k weights only and"
                    + " cannot be trained; load the full logits to continue training");
        }
        attachTo(step);
        Shape shape = new Shape(batch.size(), batch.seqLen());
        checkIds("input_ids", batch.inputIds(), base.shape().vocabSize());
        NDArray ids = step.create(batch.inputIds(), shape);
        NDArray mask = step.create(batch.attentionMask(), shape);
        NDArray types = null;
        if (batch.tokenTypeIds() != null) {
            checkIds("token_type_ids", batch.tokenTypeIds(), base.shape().typeVocabSize());
            types = step.create(batch.tokenTypeIds(), shape);
        }
        Adapter.Pass pass = merged ? Adapter.BASE_ONLY : adapter.begin(training);
        NDArray hidden = BertEncoder.forward(base, training ? trainingMath : BaseMath.FP32, pass, ids, mask, types);
        return head.forward(hidden, mask);
    }

    /** The mean loss of a labelled batch (cross-entropy, or MSE for one output). */
    public NDArray loss(NDManager step, Batch batch, NDArray logits) {
        float[] labels = batch.labels();
        if (labels == null) {
            throw new IllegalArgumentException("labels: required to compute a loss");
        }
        int numLabels = head.numLabels();
        if (numLabels > 1) {
            for (int i = 0; i < labels.length; i++) {
                float y = labels[i];
                if (y != Math.rint(y) || y < 0 || y >= numLabels) {
                    throw new IllegalArgumentException("labels[" + i + "]: class " + y + " outside [0, " + numLabels + ")");
                }
            }
        }
        return Losses.loss(logits, step.create(labels));
    }

    /** Logits as a host array (B × numLabels, row-major), without gradients. */
    public float[] predict(NDManager parent, Batch batch) {
        try (NDManager step = parent.newSubManager()) {
            return forward(step, batch, false).toFloatArray();
        }
    }

    private static void checkIds(String field, long[] ids, int limit) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= limit) {
                throw new IllegalArgumentException(field + "[" + i + "]: " + ids[i] + " outside [0, " + limit + ")");
            }
        }
    }

    /**
     * Folds the adapter into the base weights: W ← W + ΔW for every adapted module. Throws before touching any weight
     * if some ΔW is not finite. The forward pass then skips the adapter.
     */
    public void merge() {
        if (merged) {
            throw new IllegalStateException("already merged");
        }
        Map<String, NDArray> deltas = deltas();
        try {
            for (Map.Entry<String, NDArray> e : deltas.entrySet()) {
                NDArray d = e.getValue();
                try (NDArray nan = d.isNaN(); NDArray inf = d.isInfinite();
                     NDArray anyNan = nan.any(); NDArray anyInf = inf.any()) {
                    if (anyNan.getBoolean() || anyInf.getBoolean()) {
                        throw new IllegalStateException("cannot merge: delta weight of " + e.getKey()
                                + " is not finite (NaN or Inf in the adapter); base weights left unchanged");
                    }
                }
            }
            for (Map.Entry<String, NDArray> e : deltas.entrySet()) {
                base.get(e.getKey() + ".weight").addi(e.getValue());
            }
            trainingMath.forgetWeights();
            merged = true;
        } finally {
            deltas.values().forEach(NDArray::close);
        }
    }

    /** Undoes {@link #merge()}: W ← W − ΔW with the same ΔW. */
    public void unmerge() {
        if (!merged) {
            throw new IllegalStateException("not merged");
        }
        Map<String, NDArray> deltas = deltas();
        try {
            for (Map.Entry<String, NDArray> e : deltas.entrySet()) {
                base.get(e.getKey() + ".weight").subi(e.getValue());
            }
            trainingMath.forgetWeights();
            merged = false;
        } finally {
            deltas.values().forEach(NDArray::close);
        }
    }

    private Map<String, NDArray> deltas() {
        Map<String, NDArray> deltas = new LinkedHashMap<>();
        for (String path : adapter.modulePaths()) {
            deltas.put(path, adapter.deltaWeight(path));
        }
        return deltas;
    }

    /** Adapter state plus head weights as host tensors (see the adapters and {@link ClassificationHead} for names). */
    public Map<String, Tensor> exportState() {
        Map<String, Tensor> out = new LinkedHashMap<>(adapter.exportState());
        out.putAll(head.exportState());
        return out;
    }

    /** Closes the adapter and the head; the base weights belong to the caller (they may be shared). */
    @Override
    public void close() {
        trainingMath.close();
        adapter.close();
        head.close();
    }
}

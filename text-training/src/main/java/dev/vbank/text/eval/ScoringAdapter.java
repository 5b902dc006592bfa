package dev.vbank.text.eval;

import ai.djl.ndarray.NDManager;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.tokenize.TextTokenizer;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.model.Batch;
import dev.vbank.vblora.model.EncoderWeights;
import dev.vbank.vblora.model.Pooling;
import dev.vbank.vblora.serve.ComposedAdapter;
import dev.vbank.vblora.serve.MultiAdapterForward;

import java.util.Collections;
import java.util.List;

/**
 * An adapter ready for scoring: composed into its per-module factors and run on the shared, unchanged base weights
 * through {@link MultiAdapterForward} — the forward the inference-service serves with, so evaluation and serving cannot
 * disagree — with its head and a tokenizer at the adapter's sequence length. Built by {@link SuiteEvaluator#load}.
 *
 * @param sha256              sha256 of the adapter's stored bytes
 * @param storedBytes         size of those bytes
 * @param trainableParameters values the adapter's training updated (bank + logits + head, LoRA A + B + head, or head)
 * @param storedParameters    values the stored file keeps (every payload tensor's element count)
 */
public record ScoringAdapter(AdapterWeights weights, BaseModel baseModel, TaskType taskType, int maxSeqLength,
                             String sha256, long storedBytes, long trainableParameters, long storedParameters,
                             EncoderWeights base, Pooling pooling, ComposedAdapter composed, TextTokenizer tokenizer)
        implements AutoCloseable {

    /** Outputs of the head: the number of classes, or 1 for regression. */
    public int numOutputs() {
        return composed.numOutputs();
    }

    /** Class names in head order (empty for regression). */
    public List<String> labels() {
        return weights.labels();
    }

    /** Head outputs (B × numOutputs, row-major); every array dies with a sub-manager of {@code parent}. */
    public float[] predict(NDManager parent, Batch batch) {
        MultiAdapterForward.Output out = MultiAdapterForward.run(parent, base, pooling, batch,
                Collections.nCopies(batch.size(), composed));
        int k = numOutputs();
        float[] flat = new float[batch.size() * k];
        for (int i = 0; i < batch.size(); i++) {
            System.arraycopy(out.heads()[i], 0, flat, i * k, k);
        }
        return flat;
    }

    @Override
    public void close() {
        try (tokenizer; composed) {
            // closes both, last declared first
        }
    }
}

package dev.vbank.text.eval;

import ai.djl.ndarray.NDManager;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.tokenize.TextTokenizer;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.model.Batch;
import dev.vbank.vblora.model.EncoderWeights;

import java.util.List;

/**
 * An adapter ready for scoring: its ΔW folded into private copies of the base weights it adapts (the shared base stays
 * as it was), its head, and a tokenizer at the adapter's sequence length. Built by {@link SuiteEvaluator#load}.
 *
 * @param sha256              sha256 of the adapter's stored bytes
 * @param storedBytes         size of those bytes
 * @param trainableParameters values the adapter's training updated (bank + logits + head, LoRA A + B + head, or head)
 * @param storedParameters    values the stored file keeps (every payload tensor's element count)
 */
public record MergedAdapter(AdapterWeights weights, BaseModel baseModel, TaskType taskType, int maxSeqLength,
                            String sha256, long storedBytes, long trainableParameters, long storedParameters,
                            EncoderWeights mergedBase, AdaptedEncoder encoder, TextTokenizer tokenizer)
        implements AutoCloseable {

    /** Outputs of the head: the number of classes, or 1 for regression. */
    public int numOutputs() {
        return encoder.head().numLabels();
    }

    /** Class names in head order (empty for regression). */
    public List<String> labels() {
        return weights.labels();
    }

    /** Head outputs (B × numOutputs, row-major) with the merged weights; every array dies with a sub-manager. */
    public float[] predict(NDManager parent, Batch batch) {
        return encoder.predict(parent, batch);
    }

    @Override
    public void close() {
        try (tokenizer; mergedBase; encoder) {
            // closes all three, last declared first
        }
    }
}

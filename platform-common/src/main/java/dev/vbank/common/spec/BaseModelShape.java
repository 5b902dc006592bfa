package dev.vbank.common.spec;

import java.util.List;
import java.util.Objects;

/**
 * What the platform needs to know of a base model to validate a job against it: its size and the linear modules an
 * adapter can target in every encoder layer, with their in and out features.
 *
 * @param huggingFaceId the model's id on the Hugging Face hub, e.g. {@code sentence-transformers/all-MiniLM-L6-v2}
 * @param maxLength     the most tokens a row may keep (the model's position embeddings)
 */
public record BaseModelShape(String id, String huggingFaceId, int hiddenSize, int layers, int intermediateSize, int heads,
                             int maxLength, List<LinearModule> modules) {

    /** A linear layer inside each encoder layer; {@code name} is the one {@code target_modules} uses. */
    public record LinearModule(String name, int in, int out) {
    }

    public BaseModelShape {
        Objects.requireNonNull(id, "id");
        modules = List.copyOf(modules);
    }

    /** A BERT encoder: attention projections and output are hidden → hidden; the MLP widens to intermediate. */
    public static BaseModelShape bert(String id, String huggingFaceId, int hiddenSize, int layers, int intermediateSize,
                                      int heads, int maxLength) {
        return new BaseModelShape(id, huggingFaceId, hiddenSize, layers, intermediateSize, heads, maxLength, List.of(
                new LinearModule("query", hiddenSize, hiddenSize),
                new LinearModule("key", hiddenSize, hiddenSize),
                new LinearModule("value", hiddenSize, hiddenSize),
                new LinearModule("attention.output.dense", hiddenSize, hiddenSize),
                new LinearModule("intermediate.dense", hiddenSize, intermediateSize),
                new LinearModule("output.dense", intermediateSize, hiddenSize)));
    }

    public List<String> moduleNames() {
        return modules.stream().map(LinearModule::name).toList();
    }
}

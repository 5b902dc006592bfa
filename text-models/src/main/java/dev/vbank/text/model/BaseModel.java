package dev.vbank.text.model;

import java.util.Objects;

/**
 * A pretrained encoder vbank can fine-tune: its architecture facts, where its ONNX file and tokenizer live on the
 * classpath (a Maven-packaged jar), and the sha256 its converted weight payload must have.
 *
 * @param weightsSha256 sha256 (hex) of the little-endian fp32 payload the converter writes; a conversion that produces
 *                      anything else is rejected, so a changed upstream jar cannot slip in unnoticed
 * @param licence       as published on the model card
 * @param textPrefix    what the model card asks to prepend to each input ("" when nothing)
 */
public record BaseModel(
        String id,
        String architecture,
        int layers,
        int hiddenSize,
        int heads,
        int intermediateSize,
        int maxPositions,
        int vocabSize,
        int typeVocabSize,
        double layerNormEps,
        Pooling pooling,
        String maven,
        String onnxResource,
        String tokenizerResource,
        String weightsSha256,
        String licence,
        String modelCard,
        String textPrefix) {

    public BaseModel {
        Objects.requireNonNull(id, "id");
        if (hiddenSize % heads != 0) {
            throw new IllegalArgumentException(id + ": hidden size " + hiddenSize + " is not divisible by " + heads + " heads");
        }
    }

    public int headSize() {
        return hiddenSize / heads;
    }
}

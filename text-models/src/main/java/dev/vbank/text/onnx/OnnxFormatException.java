package dev.vbank.text.onnx;

/** The bytes are not a well-formed ONNX model, or the model lacks something the reader needs. */
public class OnnxFormatException extends RuntimeException {
    public OnnxFormatException(String message) {
        super(message);
    }
}

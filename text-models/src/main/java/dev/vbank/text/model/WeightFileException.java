package dev.vbank.text.model;

/** A weight file is damaged, truncated or does not hold the weights it should. */
public class WeightFileException extends RuntimeException {
    public WeightFileException(String message) {
        super(message);
    }
}

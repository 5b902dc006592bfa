package dev.vbank.vblora.precision;

/** This build or machine cannot train in the requested {@link Precision}; thrown before anything trains. */
public final class PrecisionUnavailableException extends RuntimeException {

    public PrecisionUnavailableException(String message) {
        super(message);
    }
}

package dev.vbank.service.error;

/** The request is well-formed but the thing it concerns is in a state that forbids it. */
public final class Conflict extends DomainException {
    public Conflict(String code, String message, String param) {
        super(code, message, param);
    }
}

package dev.vbank.service.error;

/** The request is malformed or names something it may not use. */
public final class Invalid extends DomainException {
    public Invalid(String code, String message, String param) {
        super(code, message, param);
    }

    public static Invalid of(String param, String message) {
        return new Invalid("invalid_request", message, param);
    }
}

package dev.vbank.service.error;

/** A body over its size limit; nothing was kept. */
public final class TooLarge extends DomainException {
    public TooLarge(String code, String message, String param) {
        super(code, message, param);
    }

    public static TooLarge of(String param, long limit) {
        return new TooLarge("too_large", "the body is larger than the limit of " + limit + " bytes", param);
    }
}

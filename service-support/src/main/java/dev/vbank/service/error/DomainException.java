package dev.vbank.service.error;

/**
 * What domain code throws when a request cannot be done: a stable {@code code} for clients and the {@code param} (a JSON path
 * or parameter name) it concerns, if any. The REST layer turns each kind into its HTTP answer ({@code ErrorMappers}).
 */
public abstract class DomainException extends RuntimeException {
    private final String code;
    private final String param;

    protected DomainException(String code, String message, String param) {
        super(message, null, false, false);
        this.code = code;
        this.param = param;
    }

    public String code() {
        return code;
    }

    public String param() {
        return param;
    }
}

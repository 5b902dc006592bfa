package dev.vbank.common.spec;

/** A job spec value the platform cannot train with; {@code param} is the JSON path of the field, as the API names it. */
public class InvalidSpecException extends RuntimeException {
    private final String param;

    public InvalidSpecException(String param, String message) {
        super(message);
        this.param = param;
    }

    public String param() {
        return param;
    }
}

package dev.vbank.service.error;

/** The thing the request names does not exist for this tenant. */
public final class NotFound extends DomainException {
    public NotFound(String code, String message, String param) {
        super(code, message, param);
    }

    /** {@code what} in snake_case, e.g. {@code fine_tuning_job}: code {@code <what>_not_found}, param {@code id}. */
    public static NotFound of(String what, String id) {
        return new NotFound(what + "_not_found", "no " + what.replace('_', ' ') + " " + id, "id");
    }
}

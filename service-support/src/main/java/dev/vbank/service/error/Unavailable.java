package dev.vbank.service.error;

/** Something the request needs is not available yet (a service, a prepared object); the same request may succeed later. */
public final class Unavailable extends DomainException {
    public Unavailable(String code, String message, String param) {
        super(code, message, param);
    }
}

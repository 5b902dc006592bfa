package dev.vbank.service.error;

/** Stored state is wrong (a checksum mismatch, a missing object): the service's fault, never the client's. */
public final class Broken extends DomainException {
    public Broken(String code, String message) {
        super(code, message, null);
    }
}

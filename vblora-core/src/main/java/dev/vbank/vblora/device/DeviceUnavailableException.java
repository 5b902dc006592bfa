package dev.vbank.vblora.device;

/** The device a configuration asks for cannot be used by this build on this machine; the message says why. */
public class DeviceUnavailableException extends RuntimeException {

    public DeviceUnavailableException(String message) {
        super(message);
    }

    public DeviceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}

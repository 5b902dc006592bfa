package dev.vbank.worker;

/** Why a job cannot go on: becomes a FAILED event with {@code error_code}, the message, and {@code error_param}. */
public class JobFailure extends RuntimeException {

    private final String code;
    private final String param;

    public JobFailure(String code, String message, String param) {
        this(code, message, param, null);
    }

    public JobFailure(String code, String message, String param, Throwable cause) {
        super(message, cause);
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

package dev.vbank.service.rest;

import dev.vbank.common.api.ApiError;

/**
 * An HTTP answer decided by the REST layer itself (authentication, rate limits, relayed statuses); domain code throws a
 * {@link dev.vbank.service.error.DomainException} instead.
 */
public class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private final String param;
    private final Long retryAfterSeconds;

    public ApiException(int status, String code, String message, String param) {
        this(status, code, message, param, null);
    }

    public ApiException(int status, String code, String message, String param, Long retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.param = param;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String param() {
        return param;
    }

    public Long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public ApiError body() {
        return ApiError.of(code, getMessage(), param);
    }
}

package dev.vbank.gateway.api;

import dev.vbank.common.api.ApiError;

/** An error the API answers with {@code status} and an {@link ApiError} body. */
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

    public static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request", message, param);
    }

    public static ApiException unavailable(String service) {
        return new ApiException(503, "service_unavailable", "the " + service + " is not available; try again", null);
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

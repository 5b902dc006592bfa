package dev.vbank.inference.api;

import dev.vbank.common.api.ApiError;

/** An error the API answers with {@code status} and an {@link ApiError} body. */
public class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private final String param;

    public ApiException(int status, String code, String message, String param) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.param = param;
    }

    public static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request", message, param);
    }

    public int status() {
        return status;
    }

    public ApiError body() {
        return ApiError.of(code, getMessage(), param);
    }
}

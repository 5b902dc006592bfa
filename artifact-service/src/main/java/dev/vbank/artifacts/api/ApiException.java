package dev.vbank.artifacts.api;

import dev.vbank.common.api.ApiError;

/** An error the API answers with {@code status} and an {@link ApiError} body. */
public class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private final String param;

    public ApiException(int status, String code, String message, String param) {
        super(message);
        this.status = status;
        this.code = code;
        this.param = param;
    }

    public static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request", message, param);
    }

    public static ApiException notFound(String what, String id) {
        return new ApiException(404, what + "_not_found", "no " + what.replace('_', ' ') + " " + id, "id");
    }

    public static ApiException tooLarge(String param, long limit) {
        return new ApiException(413, "too_large", "the body is larger than the limit of " + limit + " bytes", param);
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

    public ApiError body() {
        return ApiError.of(code, getMessage(), param);
    }
}

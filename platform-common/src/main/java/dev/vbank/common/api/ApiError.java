package dev.vbank.common.api;

/**
 * The JSON body of every 4xx/5xx answer: {@code {"error": {"code", "message", "param"}}}; {@code param} names the offending field
 * (a JSON path such as {@code method.hyperparameters.topk}) when there is one.
 */
public record ApiError(Detail error) {

    public record Detail(String code, String message, String param) {
    }

    public static ApiError of(String code, String message, String param) {
        return new ApiError(new Detail(code, message, param));
    }
}

package io.inlet.api;

import java.util.List;
import java.util.Map;

/**
 * A request refused with an HTTP status and the API's error model (message, then each error with its field and why);
 * the api-errors route configuration renders it.
 */
public class ApiException extends RuntimeException {

    /** How many problems an answer lists before it only counts the rest (a bad body can have one per item). */
    public static final int MAX_LISTED_ERRORS = 100;

    private final int status;
    private final List<ApiError> errors;
    private final Map<String, String> headers;

    public ApiException(int status, String message, List<ApiError> errors) {
        this(status, message, errors, Map.of());
    }

    /** With response headers of its own (Retry-After, RateLimit-Policy, …), sent with the error body. */
    public ApiException(int status, String message, List<ApiError> errors, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.errors = List.copyOf(errors);
        this.headers = Map.copyOf(headers);
    }

    /** What a message adds when only the first {@code listed} of {@code total} problems are listed; else nothing. */
    public static String notAllListed(int listed, int total) {
        return total > listed ? "; the first " + listed + " problems are listed, " + (total - listed) + " more are not" : "";
    }

    public static ApiException badRequest(String message, ApiError... errors) {
        return new ApiException(400, message, List.of(errors));
    }

    public static ApiException unauthorized(String message) {
        return new ApiException(401, message, List.of());
    }

    public static ApiException forbidden(String message, ApiError... errors) {
        return new ApiException(403, message, List.of(errors));
    }

    public static ApiException notFound(String message, ApiError... errors) {
        return new ApiException(404, message, List.of(errors));
    }

    public static ApiException tooLarge(String message) {
        return new ApiException(413, message, List.of());
    }

    public static ApiException unsupportedMediaType(String message) {
        return new ApiException(415, message, List.of());
    }

    public static ApiException unprocessable(String message, List<ApiError> errors) {
        return new ApiException(422, message, errors);
    }

    public int status() {
        return status;
    }

    public List<ApiError> errors() {
        return errors;
    }

    public Map<String, String> headers() {
        return headers;
    }
}

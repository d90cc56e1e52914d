package io.inlet.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One entry of an error response: which record ({@code index} in a JSON payload, {@code line} in a file),
 * which field (a JSON pointer into that record, or into the request body when no record is concerned; or a
 * request {@code header}) and why.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiError(
        @JsonProperty("index") Integer index,
        @JsonProperty("line") Long line,
        @JsonProperty("pointer") String pointer,
        @JsonProperty("header") String header,
        @JsonProperty("message") String message) {

    public static ApiError atRecord(int index, String pointer, String message) {
        return new ApiError(index, null, pointer, null, message);
    }

    public static ApiError atLine(long line, String pointer, String message) {
        return new ApiError(null, line, pointer, null, message);
    }

    public static ApiError atField(String pointer, String message) {
        return new ApiError(null, null, pointer, null, message);
    }

    /** A request header at fault rather than the body (Idempotency-Key). */
    public static ApiError atHeader(String header, String message) {
        return new ApiError(null, null, null, header, message);
    }
}

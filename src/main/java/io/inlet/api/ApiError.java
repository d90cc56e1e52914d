package io.inlet.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One entry of an error response: which record ({@code index} in a JSON payload, {@code line} in a file, and in a
 * zip archive the {@code entry} that line is in), which field (a JSON pointer into that record, or into the request
 * body when no record is concerned) and why.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"entry", "index", "line", "pointer", "message"})
public record ApiError(
        @JsonProperty("index") Integer index,
        @JsonProperty("line") Long line,
        @JsonProperty("pointer") String pointer,
        @JsonProperty("message") String message,
        @JsonProperty("entry") String entry) {

    public ApiError(Integer index, Long line, String pointer, String message) {
        this(index, line, pointer, message, null);
    }

    public static ApiError atRecord(int index, String pointer, String message) {
        return new ApiError(index, null, pointer, message);
    }

    public static ApiError atLine(long line, String pointer, String message) {
        return new ApiError(null, line, pointer, message);
    }

    /** A line of a file, or of the entry {@code entry} of a zip archive (null: the file is no archive). */
    public static ApiError atLine(String entry, long line, String pointer, String message) {
        return new ApiError(null, line, pointer, message, entry);
    }

    public static ApiError atField(String pointer, String message) {
        return new ApiError(null, null, pointer, message);
    }
}

package io.inlet.api;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One entry of an error response: which record ({@code index} in a JSON payload, {@code line} in a file, and in a
 * zip archive the {@code entry} that line is in), which field (a JSON pointer into that record, or into the request
 * body when no record is concerned; or a request {@code header}) and why.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"entry", "index", "line", "pointer", "header", "message"})
public record ApiError(
        @JsonProperty("entry") String entry,
        @JsonProperty("index") Integer index,
        @JsonProperty("line") Long line,
        @JsonProperty("pointer") String pointer,
        @JsonProperty("header") String header,
        @JsonProperty("message") String message) {

    public static ApiError atRecord(int index, String pointer, String message) {
        return new ApiError(null, index, null, pointer, null, message);
    }

    public static ApiError atLine(long line, String pointer, String message) {
        return new ApiError(null, null, line, pointer, null, message);
    }

    /** A line of a file, or of the entry {@code entry} of a zip archive (null: the file is no archive). */
    public static ApiError atLine(String entry, long line, String pointer, String message) {
        return new ApiError(entry, null, line, pointer, null, message);
    }

    public static ApiError atField(String pointer, String message) {
        return new ApiError(null, null, null, pointer, null, message);
    }

    private static final Pattern RECORD = Pattern.compile("/data/(\\d{1,9})(/.*)?");

    /**
     * A place in a request body: a record of its {@code data} array by its index, with the pointer into that record,
     * as the answers about records' fields name them; anything else by its pointer into the body.
     */
    public static ApiError inBody(String pointer, String message) {
        Matcher record = RECORD.matcher(pointer);
        if (record.matches()) {
            return atRecord(Integer.parseInt(record.group(1)), record.group(2) == null ? "" : record.group(2), message);
        }
        return atField(pointer, message);
    }

    /** A request header at fault rather than the body (Idempotency-Key). */
    public static ApiError atHeader(String header, String message) {
        return new ApiError(null, null, null, null, header, message);
    }
}

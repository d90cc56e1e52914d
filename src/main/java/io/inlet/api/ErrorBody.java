package io.inlet.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The body of every error response: {@code {"status":"error","message":…,"errors":[…]}}. */
public record ErrorBody(
        @JsonProperty("status") String status,
        @JsonProperty("message") String message,
        @JsonProperty("errors") List<ApiError> errors) {

    public static ErrorBody of(String message, List<ApiError> errors) {
        return new ErrorBody("error", message, errors);
    }
}

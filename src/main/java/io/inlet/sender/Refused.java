package io.inlet.sender;

import java.util.List;

import io.inlet.api.ErrorBody;

/** The service or S3 answered a request with an error that asking again does not change. */
final class Refused extends Exception {

    private final int status;
    private final ErrorBody body;

    /**
     * @param status the HTTP status, or 0 when the client refused before sending
     * @param body   the answer in the service's error model (S3's answers are put into it)
     */
    Refused(String request, int status, ErrorBody body) {
        super(request + " refused: " + (status > 0 ? "HTTP " + status + ": " : "") + body.message());
        this.status = status;
        this.body = body;
    }

    Refused(String request, int status, String message) {
        this(request, status, ErrorBody.of(message, List.of()));
    }

    int status() {
        return status;
    }

    ErrorBody body() {
        return body;
    }
}

package io.inlet.api;

import java.util.List;

import io.inlet.schema.JsonSchemas;
import org.apache.camel.Exchange;
import org.apache.camel.component.jsonvalidator.JsonValidationException;

/**
 * A request body that does not fit its endpoint's schema (the json-validator step of the route) is refused in
 * the API's error model: each field that does not fit, with its JSON pointer and why. The route
 * configurations of routes/error-handling.camel.yaml call this for the validator's JsonValidationException and
 * then have {@link ErrorResponses} answer the {@link ApiException} it puts in its place.
 */
public final class EnvelopeErrors {

    /** upload-json's contract: a body that does not fit its envelope is a 400. */
    public void badRequest(Exchange exchange) {
        restate(exchange, 400);
    }

    /** The bulk-upload endpoints' contract: a body that does not fit is a 422. */
    public void unprocessable(Exchange exchange) {
        restate(exchange, 422);
    }

    private static void restate(Exchange exchange, int status) {
        JsonValidationException invalid = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, JsonValidationException.class);
        if (invalid != null) {
            exchange.setProperty(Exchange.EXCEPTION_CAUGHT, refusal(invalid, status));
        }
    }

    /**
     * The refusal naming each field; the exception itself when it names none (the validator failed rather than
     * the body, which is an internal error).
     */
    static Exception refusal(JsonValidationException invalid, int status) {
        if (invalid.getErrors().isEmpty()) {
            return invalid;
        }
        String title = invalid.getSchema() == null ? "request"
                : invalid.getSchema().getSchemaNode().path("title").asText("request");
        List<ApiError> errors = JsonSchemas.explain(invalid.getErrors(), null).stream()
                .map(p -> ApiError.atField(p.pointer(), p.message()))
                .toList();
        return new ApiException(status, "The request body is not a valid " + title, errors);
    }
}

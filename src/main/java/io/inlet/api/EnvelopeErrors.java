package io.inlet.api;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.ValidationMessage;
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

    /**
     * Route step of upload-json and validate, before the envelope's json-validator: a {@code data} array of more
     * non-objects than are ever listed is refused here (400), naming the first ones in the validator's words. The
     * validator collects a finding for every one before any is dropped, and a 1 MiB body holds half a million: a few
     * such requests at once ran a 512 MB service out of memory.
     */
    public void refuseManyNonObjectRecords(Exchange exchange) {
        JsonNode data = JsonRequests.request(exchange).path("data");
        if (!data.isArray() || data.size() <= ApiException.MAX_LISTED_ERRORS) {
            return;
        }
        List<ApiError> errors = new ArrayList<>();
        int nonObjects = 0;
        for (int i = 0; i < data.size(); i++) {
            JsonNode record = data.get(i);
            if (!record.isObject()) {
                nonObjects++;
                if (errors.size() < ApiException.MAX_LISTED_ERRORS) {
                    errors.add(ApiError.inBody("/data/" + i, "must be an object, not " + JsonSchemas.kind(record)));
                }
            }
        }
        if (nonObjects > ApiException.MAX_LISTED_ERRORS) {
            throw new ApiException(400, "The request body is not a valid upload-json request"
                    + ApiException.notAllListed(errors.size(), nonObjects), errors);
        }
    }

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
        Set<ValidationMessage> found = invalid.getErrors();
        if (found.size() > ApiException.MAX_LISTED_ERRORS) {
            // A 1 MiB body of half a million non-objects has as many findings: the answer lists a bounded few,
            // the first by pointer (explaining and sending them all took tens of MB a request).
            found = found.stream()
                    .map(m -> Map.entry(String.valueOf(m.getInstanceLocation()), m))
                    .sorted(Map.Entry.comparingByKey())
                    .limit(ApiException.MAX_LISTED_ERRORS)
                    .map(Map.Entry::getValue)
                    .collect(Collectors.toCollection(LinkedHashSet::new));
        }
        List<ApiError> errors = JsonSchemas.explain(found, null).stream()
                .map(p -> ApiError.inBody(p.pointer(), p.message()))
                .toList();
        return new ApiException(status, "The request body is not a valid " + title
                + ApiException.notAllListed(found.size(), invalid.getErrors().size()), errors);
    }
}

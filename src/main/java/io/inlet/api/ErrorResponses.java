package io.inlet.api;

import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failures as {@code {"status":"error","message":…,"errors":[…]}} with the right HTTP status. In the routes'
 * error handling (routes/error-handling.camel.yaml) {@link #respond} gives the {@link ErrorBody} that the next
 * step marshals; the HTTP server's own error pages (413, 404, …), answered before any route runs, have no
 * exchange to marshal in and take {@link #body} as text.
 */
public final class ErrorResponses {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorResponses.class);

    private final ObjectMapper json;

    public ErrorResponses(ObjectMapper json) {
        this.json = json;
    }

    /** onException handler: an {@link ApiException} becomes its response, anything else a 500 with an incident id. */
    public ErrorBody respond(Exchange exchange) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        ApiException api = cause instanceof ApiException e ? e : null;
        if (api == null) {
            String incident = UUID.randomUUID().toString();
            // the route's steps may have dropped the HTTP headers by now; the request itself is still there
            String request = exchange.getIn() instanceof HttpMessage http
                    ? http.getRequest().method() + " " + http.getRequest().path() : exchange.getFromRouteId();
            LOG.error("{} failed (incident {})", request, incident, cause);
            api = new ApiException(500, "Internal error; the service log names incident " + incident, List.of());
        }
        exchange.getMessage().removeHeaders("*", Exchange.HTTP_RESPONSE_CODE);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, api.status());
        api.headers().forEach(exchange.getMessage()::setHeader);
        return ErrorBody.of(api.getMessage(), api.errors());
    }

    public String body(String message, List<ApiError> errors) {
        try {
            return json.writeValueAsString(ErrorBody.of(message, errors));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

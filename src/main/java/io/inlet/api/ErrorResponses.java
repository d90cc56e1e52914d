package io.inlet.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renders failures as {@code {"status":"error","message":…,"errors":[…]}} with the right HTTP status.
 * Used by the api-errors route configuration and by the HTTP server's own error pages (413, 404, …).
 */
public final class ErrorResponses {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorResponses.class);

    private final ObjectMapper json;

    public ErrorResponses(ObjectMapper json) {
        this.json = json;
    }

    /** onException handler: an {@link ApiException} becomes its response, anything else a 500 with an incident id. */
    public void respond(Exchange exchange) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        ApiException api = cause instanceof ApiException e ? e : null;
        if (api == null) {
            String incident = UUID.randomUUID().toString();
            LOG.error("Request {} {} failed (incident {})", exchange.getMessage().getHeader(Exchange.HTTP_METHOD),
                    exchange.getMessage().getHeader(Exchange.HTTP_PATH), incident, cause);
            api = new ApiException(500, "Internal error; the service log names incident " + incident, List.of());
        }
        exchange.getMessage().removeHeaders("*", Exchange.HTTP_RESPONSE_CODE);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, api.status());
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        exchange.getMessage().setBody(body(api.getMessage(), api.errors()));
    }

    public String body(String message, List<ApiError> errors) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "error");
        body.put("message", message);
        body.put("errors", errors);
        try {
            return json.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

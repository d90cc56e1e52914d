package io.inlet.api;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.http.RequestLog;
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

    /** A failure's stack trace is logged in full at most this often per kind (class and where it was thrown). */
    private static final long TRACE_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private final Map<String, Traced> tracedAt = new ConcurrentHashMap<>();

    public ErrorResponses(ObjectMapper json) {
        this.json = json;
    }

    /** onException handler: an {@link ApiException} becomes its response, anything else a 500 with an incident id. */
    public ErrorBody respond(Exchange exchange) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        ApiException api = cause instanceof ApiException e ? e : null;
        if (api == null) {
            // the route's steps may have dropped the HTTP headers by now; the request itself is still there
            String request = exchange.getIn() instanceof HttpMessage http
                    ? http.getRequest().method() + " " + RequestLog.loggablePath(http.getRequest().path())
                    : exchange.getFromRouteId();
            api = new ApiException(500, internalError(request, cause), List.of());
        }
        exchange.getMessage().removeHeaders("*", Exchange.HTTP_RESPONSE_CODE);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, api.status());
        api.headers().forEach(exchange.getMessage()::setHeader);
        return ErrorBody.of(api.getMessage(), api.errors());
    }

    /** Logs an unexpected failure of a request under a new incident id: the 500's message, which names it. */
    public String internalError(String request, Throwable cause) {
        String incident = UUID.randomUUID().toString();
        String traced = tracedIncident(cause, incident);
        if (traced.equals(incident)) {
            LOG.error("{} failed (incident {})", request, incident, cause);
        } else {
            // the same failure again within the interval: one line, not another stack trace (a request that
            // can cause a 500 must not fill the log at the rate it can be sent)
            LOG.error("{} failed (incident {}): {} (stack trace as logged for incident {})", request, incident,
                    cause, traced);
        }
        return "Internal error; the service log names incident " + incident;
    }

    /**
     * The incident whose stack trace shows this failure: this one, when no failure of its kind (the classes and throw
     * sites of its causes) was traced in the last {@link #TRACE_INTERVAL_NANOS}.
     */
    private String tracedIncident(Throwable cause, String incident) {
        StringBuilder kind = new StringBuilder();
        for (Throwable t = cause; t != null && kind.length() < 2_000; t = t.getCause() == t ? null : t.getCause()) {
            kind.append(t.getClass().getName()).append('@')
                    .append(t.getStackTrace().length == 0 ? "" : t.getStackTrace()[0]).append(';');
        }
        long now = System.nanoTime();
        if (tracedAt.size() > 1_000) {
            tracedAt.clear(); // kinds are few; this only keeps a bound
        }
        Traced last = tracedAt.get(kind.toString());
        if (last != null && now - last.at() < TRACE_INTERVAL_NANOS) {
            return last.incident();
        }
        tracedAt.put(kind.toString(), new Traced(now, incident));
        return incident;
    }

    private record Traced(long at, String incident) {
    }

    public String body(String message, List<ApiError> errors) {
        try {
            return json.writeValueAsString(ErrorBody.of(message, errors));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

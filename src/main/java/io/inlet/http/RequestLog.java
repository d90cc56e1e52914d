package io.inlet.http;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import io.inlet.ops.LogContext;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Route;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.spi.RoutePolicyFactory;
import org.apache.camel.support.RoutePolicySupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every request to the API port gets an id, which its answer carries as {@code X-Request-Id} whatever answers it
 * (a route, an error page, the health check), and one line in the log once answered: method, path, status and
 * time, with the request id, and with the tenant and file key when the route learnt them. The id is the client's
 * own when it sent one that is safe to log and to echo (1–128 of {@code A-Z a-z 0-9 . _ : -}); otherwise a new
 * UUID. As a route policy it hands the id, and the request's log context, to the exchange answering the request
 * (exchange properties, see {@link LogContext}).
 */
public final class RequestLog implements Handler<RoutingContext>, RoutePolicyFactory {

    public static final String HEADER = "X-Request-Id";
    private static final Logger LOG = LoggerFactory.getLogger(RequestLog.class);
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    /** Health checks come every few seconds from load balancers: their lines only at DEBUG. */
    private static final String MANAGEMENT_PATHS = "/observe/";
    private static final int MAX_LOGGED_PATH = 200;
    /** An API key a client put in the path by mistake (it belongs in x-api-key): its prefix is logged, not the key. */
    private static final Pattern API_KEY_IN_PATH = Pattern.compile("(?i)inlet(_|%5f)[A-Za-z0-9_%-]{8,}");

    /** The log context of each request being answered, found by the exchange through its HTTP request. */
    private final Map<HttpServerRequest, Map<String, String>> answering = new ConcurrentHashMap<>();

    /** Vert.x handler, first in line on the API router. */
    @Override
    public void handle(RoutingContext ctx) {
        long started = System.nanoTime();
        long[] answeredAt = {0};
        HttpServerRequest request = ctx.request();
        String id = idFor(request.headers().getAll(HEADER));
        Map<String, String> context = new ConcurrentHashMap<>();
        context.put(LogContext.REQUEST_ID, id);
        answering.put(request, context);
        // Set as the head is written: nothing a route copies into the response can replace it.
        ctx.addHeadersEndHandler(v -> {
            ctx.response().headers().set(HEADER, id);
            answeredAt[0] = System.nanoTime();
        });
        // Once the response is over, or the connection closed: a streamed body may be complete for the client
        // (Content-Length) before it is ended here, and a client may close first.
        ctx.addEndHandler(ended -> {
            answering.remove(request);
            boolean answered = ctx.response().headWritten();
            long millis = TimeUnit.NANOSECONDS.toMillis((answered ? answeredAt[0] : System.nanoTime()) - started);
            log(request, answered ? ctx.response().getStatusCode() : 0, millis, context);
        });
        ctx.next();
    }

    /** The client's id when it sent exactly one safe one, else a new one. */
    static String idFor(List<String> sent) {
        if (sent.size() == 1 && SAFE_ID.matcher(sent.get(0)).matches()) {
            return sent.get(0);
        }
        return UUID.randomUUID().toString();
    }

    /** A request path as it may be logged: an API key a client put in it is named by its prefix only. */
    public static String loggablePath(String path) {
        return path == null ? "" : API_KEY_IN_PATH.matcher(path).replaceAll("inlet_…");
    }

    /** {@code status} 0: the connection closed before an answer was sent. */
    private static void log(HttpServerRequest request, int status, long millis, Map<String, String> context) {
        String path = loggablePath(request.path());
        if (path.length() > MAX_LOGGED_PATH) {
            path = path.substring(0, MAX_LOGGED_PATH) + "…";
        }
        // health checks and metrics scrapes every few seconds are routine; a refused one (a wrong scrape token) is not
        boolean routine = path.startsWith(MANAGEMENT_PATHS) && status > 0 && status < 400;
        if (routine ? !LOG.isDebugEnabled() : !LOG.isInfoEnabled()) {
            return;
        }
        // The query is left out: a client may put what does not belong in a log there (an API key).
        String line = status > 0
                ? request.method() + " " + path + " answered " + status + " in " + millis + " ms"
                : request.method() + " " + path + ": the connection closed after " + millis + " ms, before an answer";
        try (LogContext.Scope scope = LogContext.with(Map.copyOf(context))) {
            if (routine) {
                LOG.debug(line);
            } else {
                LOG.info(line);
            }
        }
    }

    @Override
    public RoutePolicy createRoutePolicy(CamelContext camelContext, String routeId, NamedNode route) {
        return new RoutePolicySupport() {
            @Override
            public void onExchangeBegin(Route route, Exchange exchange) {
                if (exchange.getIn() instanceof HttpMessage http && exchange.getProperty(LogContext.OF_REQUEST) == null) {
                    Map<String, String> context = answering.get(http.getRequest());
                    if (context != null) {
                        exchange.setProperty(LogContext.REQUEST_ID, context.get(LogContext.REQUEST_ID));
                        exchange.setProperty(LogContext.OF_REQUEST, context);
                    }
                }
            }
        };
    }
}

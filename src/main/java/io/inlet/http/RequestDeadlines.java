package io.inlet.http;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Bounds how long a request may take to arrive, on the API router (after the request log, before Camel's body handler):
 * a body not complete within the body timeout after its head closes the connection, and once a request is
 * answered the connection's next head is timed again ({@link RequestHeadTimeout}). Camel's body handler holds a
 * body (up to the body limit) in memory until it is complete, before any route step (only a request without a valid
 * key is refused before, from its head: {@code ApiKeyGate}): without a deadline a client that sends a byte now and
 * then, inside the idle timeout, would hold that memory for ever, and a few hundred such clients all of it.
 */
public final class RequestDeadlines implements Handler<RoutingContext> {

    private final Vertx vertx;
    private final RequestHeadTimeout headTimeout;
    private final long bodyTimeoutMillis;
    /** The request each connection is on; a pipelined request can start before the previous one's end is seen. */
    private final Map<HttpConnection, HttpServerRequest> current = new ConcurrentHashMap<>();

    public RequestDeadlines(Vertx vertx, RequestHeadTimeout headTimeout, Duration bodyTimeout) {
        this.vertx = vertx;
        this.headTimeout = headTimeout;
        this.bodyTimeoutMillis = bodyTimeout.toMillis();
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        HttpConnection connection = request.connection();
        current.put(connection, request);
        long deadline = request.isEnded() ? -1 : vertx.setTimer(bodyTimeoutMillis, id -> {
            if (!request.isEnded()) {
                connection.close();
            }
        });
        ctx.addEndHandler(answered -> {
            if (deadline >= 0) {
                vertx.cancelTimer(deadline);
            }
            // a kept-alive connection waits for its next request head, timed like its first (unless it came already)
            if (current.remove(connection, request) && answered.succeeded() && !ctx.response().closed()) {
                headTimeout.awaitHead(connection);
            }
        });
        ctx.next();
    }
}

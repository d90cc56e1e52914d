package io.inlet.http;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;

/**
 * Closes a connection whose request head (request line and headers) is not complete in time. An idle timeout
 * alone does not: a client that sends one header byte a second is never idle, and would hold its connection
 * for ever. Vert.x calls the connection handler at once only when it does not have to sniff for an h2c
 * preface, so servers using this have h2c switched off.
 */
public final class RequestHeadTimeout {

    private final Vertx vertx;
    private final Duration timeout;
    private final Map<HttpConnection, Long> waiting = new ConcurrentHashMap<>();

    public RequestHeadTimeout(Vertx vertx, Duration timeout) {
        this.vertx = vertx;
        this.timeout = timeout;
    }

    /** The connection now waits for a request head (just opened, or its previous answer was sent). */
    public void awaitHead(HttpConnection connection) {
        long timer = vertx.setTimer(timeout.toMillis(), id -> {
            if (waiting.remove(connection) != null) {
                connection.close();
            }
        });
        Long previous = waiting.put(connection, timer);
        if (previous != null) {
            vertx.cancelTimer(previous);
        }
    }

    /** A complete request head arrived on the connection. */
    public void headReceived(HttpConnection connection) {
        Long timer = waiting.remove(connection);
        if (timer != null) {
            vertx.cancelTimer(timer);
        }
    }
}

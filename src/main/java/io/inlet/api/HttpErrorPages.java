package io.inlet.api;

import java.util.List;

import io.inlet.http.RequestLog;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * Errors raised by the HTTP server itself, before any route runs (a body over camel.server.max-body-size,
 * an unknown path), answered in the same JSON error model as the routes' errors.
 */
public final class HttpErrorPages {

    /** How much of an oversized body is read and dropped, and for how long, before its connection is closed. */
    private static final long LINGER_BYTES = 8L << 20;
    private static final long LINGER_MILLIS = 5_000;

    private HttpErrorPages() {
    }

    public static void install(VertxPlatformHttpRouter router, long maxBodySize, ErrorResponses responses) {
        // Failures inside the router (the body limit answers 413 this way) reach every matching failure handler.
        router.route().failureHandler(ctx -> {
            int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
            String message = switch (status) {
                case 413 -> "The request body is larger than " + Sizes.describe(maxBodySize)
                        + "; split the batch or use the presigned upload for large files";
                case 400 -> "Bad request";
                // a handler before the routes failed (the key gate, say): logged, as the routes' failures are
                // (a body the client broke off arrives as a failure with another status: no incident of ours)
                default -> status != 500 || ctx.failure() == null ? "Internal error" : responses.internalError(
                        ctx.request().method() + " " + RequestLog.loggablePath(ctx.request().path()), ctx.failure());
            };
            boolean closeAfter = status == 413;
            answer(ctx, status, responses.body(message, List.of()), closeAfter);
        });
        // Last in line: a request no endpoint took.
        router.route().order(Integer.MAX_VALUE).handler(ctx -> answer(ctx, 404,
                responses.body("No endpoint answers " + ctx.request().method() + " " + ctx.request().path(), List.of()),
                false));
    }

    /**
     * Answers a request refused from its head (its body unread, or partly read), then closes the connection once the
     * client has sent what it was sending, as for an oversized body.
     */
    public static void refuseUnread(RoutingContext ctx, int status, String body) {
        answer(ctx, status, body, true);
    }

    /** {@code closeAfter}: stop reading the rest of an oversized body (instead of draining it) once answered. */
    private static void answer(RoutingContext ctx, int status, String body, boolean closeAfter) {
        if (ctx.response().ended()) {
            return;
        }
        if (ctx.response().headWritten()) {
            ctx.response().end();
            return;
        }
        boolean http2 = ctx.request().version() == HttpVersion.HTTP_2;
        if (closeAfter && !http2) {
            ctx.response().putHeader("Connection", "close");
        }
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body)
                .onComplete(done -> {
                    // HTTP/2 shares the connection with other streams: there the rest is read and dropped.
                    if (closeAfter && !http2) {
                        lingerThenClose(ctx);
                    }
                });
    }

    /**
     * Closes the connection of an oversized request once the client has sent what it was sending, up to a few
     * times the limit or a few seconds. Closing at once, with the body still arriving, makes the kernel reset the
     * connection, and a client still writing then loses the 413 it was sent ("no bytes received") instead of
     * reading why it was refused.
     */
    private static void lingerThenClose(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        HttpConnection connection = request.connection();
        if (request.isEnded()) {
            connection.close();
            return;
        }
        long timer = ctx.vertx().setTimer(LINGER_MILLIS, id -> connection.close());
        long[] drained = {0};
        request.handler(chunk -> {
            drained[0] += chunk.length();
            if (drained[0] > LINGER_BYTES) {
                connection.close();
            }
        });
        request.exceptionHandler(failure -> connection.close());
        request.endHandler(end -> {
            ctx.vertx().cancelTimer(timer);
            connection.close();
        });
        request.resume();
    }
}

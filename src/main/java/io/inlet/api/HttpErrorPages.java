package io.inlet.api;

import java.util.List;

import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * Errors raised by the HTTP server itself, before any route runs (a body over camel.server.max-body-size,
 * an unknown path), answered in the same JSON error model as the routes' errors.
 */
public final class HttpErrorPages {

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
                default -> "Internal error";
            };
            boolean closeAfter = status == 413;
            answer(ctx, status, responses.body(message, List.of()), closeAfter);
        });
        // Last in line: a request no endpoint took.
        router.route().order(Integer.MAX_VALUE).handler(ctx -> answer(ctx, 404,
                responses.body("No endpoint answers " + ctx.request().method() + " " + ctx.request().path(), List.of()),
                false));
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
                        ctx.request().connection().close();
                    }
                });
    }
}

package io.inlet.metrics;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

import io.inlet.api.ErrorResponses;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.main.ManagementHttpServer;

/**
 * Who may read {@code GET /observe/metrics} and the health report's details. The metrics name tenants and how much
 * each sends, the full health report the queue's address, the drop folder's path and the backlog, and the port they
 * are served on is the API's, which tenants reach: with {@code inlet.metrics.token} set, a request for them must
 * carry it ({@code Authorization: Bearer …}); without it, only clients on this host that no proxy forwarded. The
 * one-line health answer ({@code {"status":"UP"}}, what load balancers ask) stays open to all.
 */
public final class ObserveAccess {

    private final Optional<byte[]> token;
    private final ErrorResponses responses;

    private ObserveAccess(Optional<String> token, ErrorResponses responses) {
        this.token = token.map(t -> t.getBytes(StandardCharsets.UTF_8));
        this.responses = responses;
    }

    /**
     * Put in front of the metrics and health routes once Camel has started its management server (nothing when it
     * has none).
     */
    public static void install(CamelContext context, Optional<String> token, ErrorResponses responses) {
        ManagementHttpServer server = context.hasService(ManagementHttpServer.class);
        if (server == null || server.getRouter() == null) {
            return;
        }
        ObserveAccess access = new ObserveAccess(token, responses);
        if (server.isMetricsEnabled()) {
            server.getRouter().route(context.resolvePropertyPlaceholders("{{camel.metrics.path}}"))
                    .order(Integer.MIN_VALUE).handler(access::check);
        }
        if (server.isHealthCheckEnabled()) {
            String health = server.getHealthPath();
            // an operator who made the full report the default made every health answer a detailed one
            boolean oneLineByDefault = "oneline".equals(
                    context.resolvePropertyPlaceholders("{{camel.health.exposure-level:default}}"));
            for (String path : List.of(health, health + "/*")) {
                server.getRouter().route(path).order(Integer.MIN_VALUE)
                        .handler(oneLineByDefault ? access::checkDetails : access::check);
            }
        }
    }

    /** Camel answers with more than the one-line status whenever the query asks (exposureLevel, data). */
    private void checkDetails(RoutingContext ctx) {
        boolean oneLine = ctx.queryParams().names().stream().allMatch(name -> name.equals("exposureLevel"))
                && ctx.queryParams().getAll("exposureLevel").stream().allMatch("oneline"::equals);
        if (oneLine) {
            ctx.next();
        } else {
            check(ctx);
        }
    }

    private void check(RoutingContext ctx) {
        if (token.isPresent()) {
            String authorization = ctx.request().getHeader("Authorization");
            byte[] given = authorization != null && authorization.startsWith("Bearer ")
                    ? authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
            if (MessageDigest.isEqual(given, token.get())) {
                ctx.next();
                return;
            }
            ctx.response().putHeader("WWW-Authenticate", "Bearer");
            refuse(ctx, 401, "Metrics and health details need the token: Authorization: Bearer <inlet.metrics.token>");
        } else if (isLocal(ctx)) {
            ctx.next();
        } else {
            refuse(ctx, 403, "Metrics and health details are served to this host only; set inlet.metrics.token to"
                    + " read them from elsewhere");
        }
    }

    private static boolean isLocal(RoutingContext ctx) {
        if (ctx.request().getHeader("X-Forwarded-For") != null || ctx.request().getHeader("Forwarded") != null) {
            return false;
        }
        SocketAddress remote = ctx.request().remoteAddress();
        if (remote == null || remote.hostAddress() == null) {
            return false;
        }
        try {
            // an IP literal: no name is looked up
            return InetAddress.getByName(remote.hostAddress()).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private void refuse(RoutingContext ctx, int status, String message) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(responses.body(message, List.of()));
    }
}

package io.inlet.tenant;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import io.inlet.api.BodiesInFlight;
import io.inlet.api.ErrorResponses;
import io.inlet.api.HttpErrorPages;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * Refuses a request to the API whose {@code x-api-key} is missing or unknown from its head alone, before its body is
 * read. Camel's body handler holds a body (up to the body limit) in memory until it is complete, and only then does
 * the route check the key ({@link ApiKeyAuth}, which still decides which tenant a request is for): without this gate
 * anyone who can reach the port could make the service hold a megabyte per connection, a few hundred connections
 * its whole heap. The refusal closes the connection once answered, like the one for an oversized body. A request
 * with a key then takes what its body may come to from {@link BodiesInFlight}, or is answered 503 unread: tenants
 * with keys cannot hold the heap that way either.
 */
public final class ApiKeyGate implements Handler<RoutingContext> {

    private static final String API_PREFIX = "/ingestion/";

    private final ApiKeys keys;
    private final BodiesInFlight bodies;
    private final ErrorResponses responses;

    private ApiKeyGate(ApiKeys keys, BodiesInFlight bodies, ErrorResponses responses) {
        this.keys = keys;
        this.bodies = bodies;
        this.responses = responses;
    }

    /**
     * Before Camel's body handler, on each API endpoint's path (all of them need a key; a path no endpoint serves is
     * answered 404 without its body being read). Each on its own path, so that the request metrics name the endpoint
     * of a refused request as they name its route.
     */
    public static void install(CamelContext context, VertxPlatformHttpRouter router, int order, ApiKeys keys,
            BodiesInFlight bodies, ErrorResponses responses) {
        ApiKeyGate gate = new ApiKeyGate(keys, bodies, responses);
        // Camel reads a body on every path it serves, keyless ones too (GET /openapi.json): none of those takes one
        router.route().order(order).handler(ctx -> {
            if (!ctx.normalizedPath().startsWith(API_PREFIX) && BodiesInFlight.hasBody(ctx.request())) {
                HttpErrorPages.refuseUnread(ctx, 413, responses.body("Only the /ingestion/ endpoints take a request"
                        + " body (with an API key); this request's was not read", List.of()));
                return;
            }
            ctx.next();
        });
        context.getEndpoints().stream()
                .filter(PlatformHttpEndpoint.class::isInstance)
                .map(endpoint -> ((PlatformHttpEndpoint) endpoint).getPath())
                .filter(path -> path.startsWith(API_PREFIX))
                .distinct()
                .forEach(path -> router.route(path).order(order).handler(gate));
    }

    @Override
    public void handle(RoutingContext ctx) {
        int sent = ctx.request().headers().getAll(ApiKeyAuth.HEADER).size();
        if (sent > 1) {
            HttpErrorPages.refuseUnread(ctx, 401, responses.body(ApiKeyAuth.oneKeyOnly(sent), List.of()));
            return;
        }
        String presented = ctx.request().getHeader(ApiKeyAuth.HEADER);
        Optional<ApiKeys.StoredKey> key = presented == null || presented.isBlank() ? Optional.empty()
                : keys.accepted(presented.trim());
        if (key.isEmpty()) {
            HttpErrorPages.refuseUnread(ctx, 401, responses.body(presented == null || presented.isBlank()
                    ? ApiKeyAuth.MISSING : ApiKeyAuth.UNKNOWN, List.of()));
            return;
        }
        String tenant = key.get().tenant();
        long weight = bodies.weightOf(ctx.request());
        if (weight > 0) {
            String full = bodies.take(tenant, weight);
            if (full != null) {
                ctx.response().putHeader("Retry-After", "1");
                HttpErrorPages.refuseUnread(ctx, 503, responses.body("Too many request bodies at once: " + full
                        + "; nothing of this one was read, retry after 1 s", List.of()));
                return;
            }
            AtomicBoolean givenBack = new AtomicBoolean();
            // answered, failed or its connection gone: the body is no longer held
            ctx.addEndHandler(ended -> {
                if (givenBack.compareAndSet(false, true)) {
                    bodies.giveBack(tenant, weight);
                }
            });
        }
        ctx.next();
    }
}

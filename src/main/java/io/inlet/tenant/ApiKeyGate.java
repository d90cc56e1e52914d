package io.inlet.tenant;

import java.util.List;

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
 * its whole heap. The refusal closes the connection once answered, like the one for an oversized body.
 */
public final class ApiKeyGate implements Handler<RoutingContext> {

    private static final String API_PREFIX = "/ingestion/";

    private final ApiKeys keys;
    private final ErrorResponses responses;

    private ApiKeyGate(ApiKeys keys, ErrorResponses responses) {
        this.keys = keys;
        this.responses = responses;
    }

    /**
     * Before Camel's body handler, on each API endpoint's path (all of them need a key; a path no endpoint serves is
     * answered 404 without its body being read). Each on its own path, so that the request metrics name the endpoint
     * of a refused request as they name its route.
     */
    public static void install(CamelContext context, VertxPlatformHttpRouter router, int order, ApiKeys keys,
            ErrorResponses responses) {
        ApiKeyGate gate = new ApiKeyGate(keys, responses);
        context.getEndpoints().stream()
                .filter(PlatformHttpEndpoint.class::isInstance)
                .map(endpoint -> ((PlatformHttpEndpoint) endpoint).getPath())
                .filter(path -> path.startsWith(API_PREFIX))
                .distinct()
                .forEach(path -> router.route(path).order(order).handler(gate));
    }

    @Override
    public void handle(RoutingContext ctx) {
        String presented = ctx.request().getHeader(ApiKeyAuth.HEADER);
        String refusal = presented == null || presented.isBlank() ? ApiKeyAuth.MISSING
                : keys.accepted(presented.trim()).isEmpty() ? ApiKeyAuth.UNKNOWN : null;
        if (refusal == null) {
            ctx.next();
            return;
        }
        HttpErrorPages.refuseUnread(ctx, 401, responses.body(refusal, List.of()));
    }
}

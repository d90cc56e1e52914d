package io.inlet.tenant;

import io.inlet.api.ApiException;
import org.apache.camel.Exchange;

/** First step of every API route: resolves {@code x-api-key} to exactly one tenant, or refuses with 401. */
public final class ApiKeyAuth {

    public static final String TENANT = "inletTenant";
    public static final String HEADER = "x-api-key";

    private final ApiKeys keys;

    public ApiKeyAuth(ApiKeys keys) {
        this.keys = keys;
    }

    public void authenticate(Exchange exchange) {
        String presented = exchange.getMessage().getHeader(HEADER, String.class);
        // The key must not travel further down the route (logs, tracing, error pages).
        exchange.getMessage().removeHeader(HEADER);
        if (presented == null || presented.isBlank()) {
            throw ApiException.unauthorized("Missing API key: send it in the x-api-key header");
        }
        String tenant = keys.tenantOf(presented.trim())
                .orElseThrow(() -> ApiException.unauthorized("Unknown API key"));
        exchange.setProperty(TENANT, tenant);
    }

    public static String tenantOf(Exchange exchange) {
        String tenant = exchange.getProperty(TENANT, String.class);
        if (tenant == null) {
            throw new IllegalStateException("Route did not authenticate before using the tenant");
        }
        return tenant;
    }
}

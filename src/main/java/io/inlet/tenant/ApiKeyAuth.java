package io.inlet.tenant;

import java.util.regex.Pattern;

import io.inlet.api.ApiException;
import io.inlet.ops.LogContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/** First step of every API route: resolves {@code x-api-key} to exactly one tenant, or refuses with 401. */
public final class ApiKeyAuth {

    public static final String HEADER = "x-api-key";
    static final String MISSING = "Missing API key: send it in the x-api-key header";
    // Revoked and expired keys get the same answer as keys that never existed: nothing to learn from it.
    static final String UNKNOWN = "Unknown API key";

    private final ApiKeys keys;
    private final KeyLastUse lastUse;

    public ApiKeyAuth(ApiKeys keys, KeyLastUse lastUse) {
        this.keys = keys;
        this.lastUse = lastUse;
    }

    public void authenticate(Exchange exchange) {
        String presented = presentedKey(exchange);
        // The key must not travel further down the route (logs, tracing, error pages).
        exchange.getMessage().removeHeader(HEADER);
        if (presented == null || presented.isBlank()) {
            throw ApiException.unauthorized(MISSING);
        }
        ApiKeys.StoredKey key = keys.accepted(presented.trim()).orElseThrow(() -> ApiException.unauthorized(UNKNOWN));
        lastUse.used(key.keyId());
        LogContext.tenant(exchange, key.tenant());
    }

    /**
     * The key from the request's own x-api-key header. platform-http also turns query parameters into message
     * headers, and a key in a URL ends up in proxy logs and browser history: a key sent that way is refused.
     */
    private static String presentedKey(Exchange exchange) {
        if (exchange.getIn() instanceof HttpMessage http) {
            int sent = http.getRequest().headers().getAll(HEADER).size();
            if (sent > 1) {
                throw ApiException.unauthorized(oneKeyOnly(sent));
            }
            return http.getRequest().getHeader(HEADER);
        }
        String query = exchange.getIn().getHeader(Exchange.HTTP_QUERY, String.class);
        if (query != null && Pattern.compile("(^|&)" + HEADER + "=", Pattern.CASE_INSENSITIVE).matcher(query).find()) {
            return null;
        }
        return exchange.getIn().getHeader(HEADER, String.class);
    }

    /** Two keys could be of two tenants, and proxies disagree on which one counts: neither does. */
    static String oneKeyOnly(int sent) {
        return "Send one x-api-key header, not " + sent;
    }

    public static String tenantOf(Exchange exchange) {
        String tenant = exchange.getProperty(LogContext.TENANT, String.class);
        if (tenant == null) {
            throw new IllegalStateException("Route did not authenticate before using the tenant");
        }
        return tenant;
    }
}

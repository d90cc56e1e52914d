package io.inlet.api;

import org.apache.camel.Exchange;

/**
 * A 200 whose body is the object a bean returns, and nothing else of the request's headers carried into the
 * response. The route's {@code marshal} step writes the object as JSON (and sets Content-Type: application/json).
 */
public final class JsonResponses {

    private JsonResponses() {
    }

    public static <T> T ok(Exchange exchange, T body) {
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        return body;
    }
}

package io.inlet.http;

import java.net.InetSocketAddress;

import io.vertx.core.Vertx;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;

/**
 * Fails the start when an HTTP server Camel created on the API's Vert.x is not listening once the context's services
 * have started. Camel's platform-http only logs a failed {@code listen} (the port taken, an address not this
 * machine's), and the process would run on without an API, never exiting for a supervisor to restart it. The port is
 * also probed before anything starts; this closes the gap between that probe and Vert.x's bind, where another process
 * may take the port.
 */
public final class ApiListening implements StartupListener {

    private final Vertx vertx;
    private final InetSocketAddress where;

    /** {@code vertx} as {@link TimedVertx#wrap} made it; {@code where} the address it was to listen on. */
    public ApiListening(Vertx vertx, InetSocketAddress where) {
        this.vertx = vertx;
        this.where = where;
    }

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        if (TimedVertx.notListening(vertx) > 0) {
            throw new IllegalStateException("The API is not listening on " + where.getHostString() + ":"
                    + where.getPort() + " (is the port taken? Set camel.server.port)");
        }
    }
}

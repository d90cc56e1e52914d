package io.inlet.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.inlet.testing.InletApp;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A port taken between the start's probe and Vert.x's bind: Camel's server only logs the failed listen. The race
 * itself cannot be staged from outside the process, so this binds as Camel does, on the API's Vert.x, and asks the
 * check the start runs afterwards.
 */
class ApiListeningTest {

    private final Vertx vertx = Vertx.vertx();
    private final Vertx api = TimedVertx.wrap(vertx, Duration.ofSeconds(60), new RequestHeadTimeout(vertx,
            Duration.ofSeconds(10)), new ConnectionCap("API", 100, 100));

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aServerWhoseListenFailedStopsTheStartNamingTheAddress() throws Exception {
        int port = InletApp.freePort();
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("0.0.0.0", port));
            listenAsCamelDoes(port);

            ApiListening check = new ApiListening(api, new InetSocketAddress("0.0.0.0", port));
            assertThatThrownBy(() -> check.onCamelContextStarted(new DefaultCamelContext(), false))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("The API is not listening on 0.0.0.0:" + port + " (is the port taken? Set camel.server.port)");
        }
    }

    @Test
    void aListeningServerPasses() throws Exception {
        int port = InletApp.freePort();
        listenAsCamelDoes(port);

        new ApiListening(api, new InetSocketAddress("0.0.0.0", port)).onCamelContextStarted(new DefaultCamelContext(), false);
        assertThat(TimedVertx.notListening(api)).isZero();
    }

    /** Camel 4.17's platform-http: listen with a callback, and wait for it. */
    private void listenAsCamelDoes(int port) throws Exception {
        HttpServer server = api.createHttpServer(new HttpServerOptions());
        server.requestHandler(request -> request.response().end());
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        server.listen(port, "0.0.0.0", result -> done.complete(result.succeeded()));
        done.get(10, TimeUnit.SECONDS);
    }
}

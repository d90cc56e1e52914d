package io.inlet.http;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.impl.VertxInternal;

/**
 * The Vert.x instance Camel's platform-http server runs on (Camel takes the one in the registry), with
 * connection timeouts on the HTTP servers it creates. Camel 4.17 builds that server from default
 * {@code HttpServerOptions} and offers no setting for them, so without this the API port would keep a
 * connection whose request head never completes, or that never sends anything, open for ever. Every call
 * but {@code createHttpServer(options)} goes to the real instance unchanged; the servers it creates also record
 * whether their {@code listen} succeeded (Camel only logs a failure).
 */
public final class TimedVertx implements InvocationHandler {

    private final Vertx vertx;
    private final Duration idleTimeout;
    private final RequestHeadTimeout headTimeout;
    private final ConnectionCap connections;
    /** Each server created, and whether its listen succeeded (false until it has). */
    private final Map<HttpServer, Boolean> listening;

    private TimedVertx(Vertx vertx, Duration idleTimeout, RequestHeadTimeout headTimeout, ConnectionCap connections) {
        this.vertx = vertx;
        this.idleTimeout = idleTimeout;
        this.headTimeout = headTimeout;
        this.connections = connections;
        this.listening = new ConcurrentHashMap<>();
    }

    /**
     * {@code headTimeout} times each connection's first request head; {@link RequestDeadlines} the later ones;
     * {@code connections} bounds how many are open at once.
     */
    public static Vertx wrap(Vertx vertx, Duration idleTimeout, RequestHeadTimeout headTimeout, ConnectionCap connections) {
        return (Vertx) Proxy.newProxyInstance(TimedVertx.class.getClassLoader(), new Class<?>[] {VertxInternal.class},
                new TimedVertx(vertx, idleTimeout, headTimeout, connections));
    }

    /**
     * How many HTTP servers created on {@code wrapped} (a {@link #wrap} result) are not listening: their listen
     * failed or has not ended. Their {@code actualPort()} is the port asked for either way.
     */
    public static long notListening(Vertx wrapped) {
        return ((TimedVertx) Proxy.getInvocationHandler(wrapped)).listening.values().stream().filter(ok -> !ok).count();
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getName().equals("createHttpServer") && args != null && args.length == 1
                && args[0] instanceof HttpServerOptions options) {
            HttpServer server = vertx.createHttpServer(new HttpServerOptions(options)
                    .setIdleTimeout((int) idleTimeout.toSeconds())
                    .setIdleTimeoutUnit(TimeUnit.SECONDS)
                    // without h2c sniffing the connection handler (and so the head timer) starts at once
                    .setHttp2ClearTextEnabled(false));
            listening.put(server, false);
            return timed(server);
        }
        try {
            return method.invoke(vertx, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** The server as created, except that its request handler first tells the head timer a head arrived. */
    private HttpServer timed(HttpServer server) {
        server.connectionHandler(connection -> {
            if (connections.admit(connection)) {
                headTimeout.awaitHead(connection);
            }
        });
        return (HttpServer) Proxy.newProxyInstance(TimedVertx.class.getClassLoader(), new Class<?>[] {HttpServer.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("requestHandler") && args != null && args.length == 1) {
                        @SuppressWarnings("unchecked")
                        Handler<HttpServerRequest> handler = (Handler<HttpServerRequest>) args[0];
                        server.requestHandler(request -> {
                            headTimeout.headReceived(request.connection());
                            handler.handle(request);
                        });
                        return proxy;
                    }
                    if (method.getName().equals("listen") && args != null && args.length > 0
                            && args[args.length - 1] instanceof Handler<?> then) {
                        @SuppressWarnings("unchecked")
                        Handler<AsyncResult<HttpServer>> callback = (Handler<AsyncResult<HttpServer>>) then;
                        args[args.length - 1] = (Handler<AsyncResult<HttpServer>>) result -> {
                            listening.put(server, result.succeeded());
                            callback.handle(result);
                        };
                    }
                    try {
                        Object result = method.invoke(server, args);
                        if (method.getName().equals("listen") && result instanceof Future<?> listened) {
                            listened.onComplete(done -> listening.put(server, done.succeeded()));
                        }
                        return result == server ? proxy : result;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}

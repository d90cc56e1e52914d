package io.inlet.queue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntSupplier;

import org.apache.camel.support.service.ServiceSupport;
import org.apache.pekko.actor.ActorSystem;
import org.elasticmq.NodeAddress;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An SQS-compatible server (ElasticMQ) in this process, so that {@code java -jar inlet.jar} needs nothing else.
 * Messages live in memory: the queue only says what to look at first. Whatever it loses in a restart is found
 * again by the inbox reconciliation, which runs at start (see {@code io.inlet.pipeline.InboxReconciliation}).
 */
public final class EmbeddedQueue extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedQueue.class);

    /** Ports probed for {@code inlet.queue.embedded.port} 0 before giving up. */
    private static final int PROBES = 5;

    private final String host;
    private final int requestedPort;
    private final IntSupplier probe;
    private SQSRestServer server;
    private ActorSystem actors;
    private URI endpoint;

    public EmbeddedQueue(String host, int port) {
        this(host, port, () -> freePort(host));
    }

    /** {@code probe}: a port that looks free, for {@code port} 0. */
    EmbeddedQueue(String host, int port, IntSupplier probe) {
        this.host = host;
        this.requestedPort = port;
        this.probe = probe;
    }

    /** Where the server answers, once started. */
    public URI endpoint() {
        return endpoint;
    }

    @Override
    protected void doStart() {
        if (requestedPort != 0) {
            start(requestedPort);
            return;
        }
        // A probed port is free only until someone else binds it (any outgoing connection may take it as its local
        // port): another probe then, rather than a service that fails to start once in a while.
        for (int attempt = 1; ; attempt++) {
            try {
                start(probe.getAsInt());
                return;
            } catch (PortTaken e) {
                if (attempt == PROBES) {
                    throw e;
                }
                LOG.info("{}; trying another", e.getMessage());
            }
        }
    }

    private void start(int port) {
        // The actor system is this class's own, not the server's: a server that failed to bind cannot stop it (its
        // stop waits for the binding first), and its threads would keep the JVM from exiting.
        ActorSystem system = ActorSystem.create("elasticmq");
        try {
            // Queue URLs it hands out must name the address it really listens on.
            SQSRestServer starting = SQSRestServerBuilder.withActorSystem(system).withInterface(host).withPort(port)
                    .withServerAddress(new NodeAddress("http", host, port, ""))
                    .start();
            InetSocketAddress bound = starting.waitUntilStarted().localAddress();
            server = starting;
            actors = system;
            endpoint = URI.create("http://" + host + ":" + bound.getPort());
            LOG.info("Embedded queue (SQS API) listening on {}", endpoint);
        } catch (RuntimeException e) {
            terminate(system);
            if (causedByBind(e)) {
                throw new PortTaken("port " + port + " on " + host + " is in use (inlet.queue.embedded.port)", e);
            }
            throw e;
        }
    }

    private static void terminate(ActorSystem system) {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("The embedded queue's threads did not stop: {}", e.toString());
        }
    }

    private static boolean causedByBind(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof BindException) {
                return true;
            }
        }
        return false;
    }

    /** The embedded queue could not listen on its port. */
    static final class PortTaken extends IllegalStateException {
        PortTaken(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @Override
    protected void doStop() {
        if (server != null) {
            try {
                server.stopAndWait();
            } finally {
                terminate(actors);
                server = null;
                actors = null;
            }
        }
    }

    private static int freePort(String host) {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + host + " for the embedded queue", e);
        }
    }
}

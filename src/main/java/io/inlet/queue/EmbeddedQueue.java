package io.inlet.queue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;

import org.apache.camel.support.service.ServiceSupport;
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

    private final String host;
    private final int requestedPort;
    private SQSRestServer server;
    private URI endpoint;

    public EmbeddedQueue(String host, int port) {
        this.host = host;
        this.requestedPort = port;
    }

    /** Where the server answers, once started. */
    public URI endpoint() {
        return endpoint;
    }

    @Override
    protected void doStart() {
        int port = requestedPort == 0 ? freePort(host) : requestedPort;
        // Queue URLs it hands out must name the address it really listens on.
        server = SQSRestServerBuilder.withInterface(host).withPort(port)
                .withServerAddress(new NodeAddress("http", host, port, ""))
                .start();
        InetSocketAddress bound = server.waitUntilStarted().localAddress();
        endpoint = URI.create("http://" + host + ":" + bound.getPort());
        LOG.info("Embedded queue (SQS API) listening on {}", endpoint);
    }

    @Override
    protected void doStop() {
        if (server != null) {
            server.stopAndWait();
            server = null;
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

package io.inlet.http;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most so many connections open at once on a port; one more is closed as soon as it is accepted. Each open
 * connection holds a file handle, however idle (the head and idle timeouts only make a client reconnect): about
 * 22,000 connections that sent nothing used up the process's handles, and the service's own S3 writes and journal
 * then failed for every tenant. With the cap, the handles the service needs stay free.
 */
public final class ConnectionCap {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionCap.class);

    private final String port;
    private final int most;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();

    /** @param port what the port is, for the log ("API", "embedded S3") */
    public ConnectionCap(String port, int most) {
        if (most < 1) {
            throw new IllegalArgumentException("A connection cap must be at least 1, not " + most);
        }
        this.port = port;
        this.most = most;
    }

    /** Counts the new connection, or closes it when the port has its most open: true when it may go on. */
    public boolean admit(HttpConnection connection) {
        if (open.incrementAndGet() > most) {
            open.decrementAndGet();
            long n = refused.incrementAndGet();
            if (n == 1 || n % 10_000 == 0) {
                LOG.warn("The {} port has {} connections open, its most: {} new connection(s) closed at once so far"
                        + " (raise the setting if that many clients are real)", port, most, n);
            }
            connection.close();
            return false;
        }
        // on the channel, not the connection's one close handler, which others may set
        if (connection instanceof ConnectionBase base) {
            base.channel().closeFuture().addListener(closed -> open.decrementAndGet());
        } else {
            connection.closeHandler(closed -> open.decrementAndGet());
        }
        return true;
    }

    public int open() {
        return open.get();
    }
}

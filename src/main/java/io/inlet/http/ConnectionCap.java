package io.inlet.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most so many connections open at once on a port, and so many of them from one client address; one more is closed
 * as soon as it is accepted. Each open connection holds a file handle, however idle (the head and idle timeouts only
 * make a client reconnect): about 22,000 connections that sent nothing used up the process's handles, and the
 * service's own S3 writes and journal then failed for every tenant. With the cap, the handles the service needs stay
 * free; with the share per address, one host cannot keep everyone else out.
 */
public final class ConnectionCap {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionCap.class);

    private final String port;
    private final int most;
    private final int mostPerAddress;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<String, Integer> openByAddress = new ConcurrentHashMap<>();
    private final AtomicLong refused = new AtomicLong();

    /**
     * @param port           what the port is, for the log ("API", "embedded S3")
     * @param mostPerAddress of those, from one client address: one host cannot take them all (and with them every
     *                       other client's, the health check's too)
     */
    public ConnectionCap(String port, int most, int mostPerAddress) {
        if (most < 1 || mostPerAddress < 1) {
            throw new IllegalArgumentException("The " + port + " port's connection caps must be at least 1, not " + most
                    + " and " + mostPerAddress + " per address");
        }
        this.port = port;
        this.most = most;
        // a share larger than the whole is the whole (a cap lowered without its share)
        this.mostPerAddress = Math.min(mostPerAddress, most);
    }

    /** Counts the new connection, or closes it when the port (or its address) has its most open: true when it may go on. */
    public boolean admit(HttpConnection connection) {
        String address = clientOf(connection);
        boolean[] admitted = {false};
        openByAddress.compute(address, (a, n) -> {
            int now = n == null ? 0 : n;
            if (now >= mostPerAddress) {
                return n;
            }
            if (open.incrementAndGet() > most) {
                open.decrementAndGet();
                return n;
            }
            admitted[0] = true;
            return now + 1;
        });
        if (!admitted[0]) {
            long n = refused.incrementAndGet();
            if (n == 1 || n % 10_000 == 0) {
                LOG.warn("The {} port has its most connections open ({} in all, {} from one address): {} new"
                        + " connection(s) closed at once so far (raise the settings if that many clients are real)",
                        port, most, mostPerAddress, n);
            }
            connection.close();
            return false;
        }
        // on the channel, not the connection's one close handler, which others may set
        if (connection instanceof ConnectionBase base) {
            base.channel().closeFuture().addListener(closed -> closed(address));
        } else {
            connection.closeHandler(closed -> closed(address));
        }
        return true;
    }

    /** The client's address; for IPv6 its /64, which one host has whole. */
    static String clientOf(HttpConnection connection) {
        if (connection.remoteAddress() == null || connection.remoteAddress().hostAddress() == null) {
            return "?";
        }
        String address = connection.remoteAddress().hostAddress();
        if (address.indexOf(':') < 0) {
            return address;
        }
        try {
            byte[] bytes = InetAddress.getByName(address).getAddress(); // a literal: no lookup
            if (bytes.length == 16) {
                return HexFormat.of().formatHex(bytes, 0, 8) + "::/64";
            }
        } catch (UnknownHostException notLiteral) {
            // as given
        }
        return address;
    }

    private void closed(String address) {
        openByAddress.computeIfPresent(address, (a, n) -> n > 1 ? n - 1 : null);
        open.decrementAndGet();
    }

    public int open() {
        return open.get();
    }
}

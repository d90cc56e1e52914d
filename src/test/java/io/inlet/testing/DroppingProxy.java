package io.inlet.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of a server on this machine that passes everything through, except that it can cut the
 * next PUT connections short: the request head and the first KB of the body reach the server, then both sides
 * are reset — a network that drops an upload midway — or nothing more goes either way until the client gives up
 * (a network that went silent), for the client's retries to deal with.
 */
public final class DroppingProxy implements AutoCloseable {

    private static final int BODY_BYTES_BEFORE_DROP = 1024;

    private final ServerSocket listener;
    private final int targetPort;
    private final AtomicInteger putsToDrop = new AtomicInteger();
    private final AtomicInteger putsToStall = new AtomicInteger();
    private final AtomicInteger putConnections = new AtomicInteger();
    private final AtomicInteger dropped = new AtomicInteger();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    public DroppingProxy(int port, int targetPort) throws IOException {
        this.listener = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        Thread accepting = new Thread(this::accept, "dropping-proxy");
        accepting.setDaemon(true);
        accepting.start();
    }

    /** The next {@code count} connections that start with a PUT are reset midway through the body. */
    public void dropNextPuts(int count) {
        putsToDrop.set(count);
    }

    /** The next {@code count} PUT connections go silent midway through the body, until the client closes them. */
    public void stallNextPuts(int count) {
        putsToStall.set(count);
    }

    /** Resets every connection open now, both sides: a network that failed under whatever was under way. */
    public void resetOpenConnections() {
        for (Socket socket : open) {
            reset(socket);
            open.remove(socket);
        }
    }

    /** Connections that started with a PUT, dropped or not. */
    public int putConnections() {
        return putConnections.get();
    }

    /** PUT connections dropped or stalled. */
    public int dropped() {
        return dropped.get();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                open.add(client);
                open.add(server);
                Thread up = new Thread(() -> forwardRequests(client, server), "dropping-proxy-up");
                Thread down = new Thread(() -> pump(server, client), "dropping-proxy-down");
                up.setDaemon(true);
                down.setDaemon(true);
                up.start();
                down.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void forwardRequests(Socket client, Socket server) {
        try (client; server) {
            InputStream in = client.getInputStream();
            OutputStream out = server.getOutputStream();
            byte[] buffer = new byte[16 * 1024];
            int n = in.read(buffer);
            if (n <= 0) {
                return;
            }
            boolean put = n >= 4 && new String(buffer, 0, 4, StandardCharsets.US_ASCII).equals("PUT ");
            if (put) {
                putConnections.incrementAndGet();
            }
            boolean drop = put && takeOne(putsToDrop);
            boolean stall = put && !drop && takeOne(putsToStall);
            long limit = drop || stall ? headEnd(buffer, n) + BODY_BYTES_BEFORE_DROP : Long.MAX_VALUE;
            long sent = 0;
            while (n > 0) {
                int chunk = (int) Math.min(n, limit - sent);
                out.write(buffer, 0, chunk);
                out.flush();
                sent += chunk;
                if (sent >= limit) {
                    dropped.incrementAndGet();
                    if (stall) {
                        // the rest goes nowhere (so the server never answers), until the client closes the connection
                        in.transferTo(OutputStream.nullOutputStream());
                    }
                    reset(client);
                    reset(server);
                    return;
                }
                n = in.read(buffer);
            }
        } catch (IOException closed) {
            // one side went away: the other is closed with it
        } finally {
            open.remove(client);
            open.remove(server);
        }
    }

    private static boolean takeOne(AtomicInteger left) {
        return left.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    }

    private static void pump(Socket from, Socket to) {
        try (from; to) {
            from.getInputStream().transferTo(to.getOutputStream());
        } catch (IOException closed) {
            // one side went away: the other is closed with it
        }
    }

    /** Where the request head ends in the first read (the whole read if it has no end in it). */
    private static int headEnd(byte[] buffer, int length) {
        for (int i = 3; i < length; i++) {
            if (buffer[i - 3] == '\r' && buffer[i - 2] == '\n' && buffer[i - 1] == '\r' && buffer[i] == '\n') {
                return i + 1;
            }
        }
        return length;
    }

    /** Closes the socket with a reset (RST), as a network failure would, not an orderly close. */
    static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (SocketException alreadyClosed) {
            // nothing left to reset
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}

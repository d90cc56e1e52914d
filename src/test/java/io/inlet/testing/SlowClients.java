package io.inlet.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Clients that are slow on purpose, to check that servers let go of them. */
public final class SlowClients {

    private SlowClients() {
    }

    /** A PUT to the URL whose head is sent and whose 1,000,000-byte body is still to come. */
    public static Socket startPut(URI url) throws IOException {
        Socket socket = new Socket(url.getHost(), url.getPort());
        socket.getOutputStream().write(("PUT " + url.getRawPath() + "?" + url.getRawQuery() + " HTTP/1.1\r\nHost: "
                + url.getAuthority() + "\r\nContent-Length: 1000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    /** What the server answered on the connection within 5 s (it may keep the connection open after the answer). */
    public static String answer(Socket socket) throws IOException {
        socket.setSoTimeout(5000);
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        byte[] buffer = new byte[512];
        try {
            for (int n; (n = socket.getInputStream().read(buffer)) > 0 && read.size() < 4096; ) {
                read.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException noMore) {
            // all there is
        }
        return read.toString(StandardCharsets.UTF_8);
    }

    /**
     * Sends a request head one byte every half second, never completing it, until the server closes the
     * connection; returns how long that took, or null if it was still open after {@code giveUp}.
     */
    public static Duration trickleHeadUntilClosed(String host, int port, Duration giveUp) throws IOException {
        return trickleUntilClosed(host, port, "POST /ingestion/upload-json HTTP/1.1\r\nHost: ", giveUp);
    }

    /**
     * Sends {@code start} at once, then one byte every half second (whatever the server answers meanwhile is read
     * and ignored), until the server closes the connection; returns how long that took after {@code start}, or null
     * if it was still open after {@code giveUp}.
     */
    public static Duration trickleUntilClosed(String host, int port, String start, Duration giveUp) throws IOException {
        try (Socket socket = new Socket(host, port)) {
            socket.setSoTimeout(500);
            OutputStream out = socket.getOutputStream();
            out.write(start.getBytes(StandardCharsets.US_ASCII));
            long started = System.nanoTime();
            while (System.nanoTime() - started < giveUp.toNanos()) {
                try {
                    out.write('a');
                    out.flush();
                    if (socket.getInputStream().read(new byte[8192]) == -1) {
                        return Duration.ofNanos(System.nanoTime() - started);
                    }
                } catch (SocketTimeoutException stillOpen) {
                    // nothing from the server yet
                } catch (IOException reset) {
                    return Duration.ofNanos(System.nanoTime() - started);
                }
            }
            return null;
        }
    }
}

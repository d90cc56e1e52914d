package io.inlet.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.inlet.testing.InletApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Idle connections cannot use up the process's file handles: each port keeps at most its cap open, closes one more
 * at once, and takes new ones again as soon as others close.
 */
class ConnectionCapTest {

    private static final int API_CAP = 40;
    private static final int S3_CAP = 20;

    static InletApp app;

    @BeforeAll
    static void start() {
        app = InletApp.start(Map.of(
                "inlet.http.max-connections", String.valueOf(API_CAP),
                "inlet.s3.embedded.max-connections", String.valueOf(S3_CAP)));
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void eachPortKeepsAtMostItsCapOfConnectionsOpen() throws Exception {
        assertCapped("localhost", app.httpPort(), API_CAP);
        URI s3 = URI.create(app.settings().s3PublicEndpoint());
        assertCapped(s3.getHost(), s3.getPort(), S3_CAP);
        assertThat(app.get("/ingestion/uploads", null).statusCode()).as("the API answers again").isEqualTo(401);
    }

    private static void assertCapped(String host, int port, int cap) throws IOException {
        List<Socket> idle = new ArrayList<>();
        try {
            // the cap, less one for a connection another part of the app may have open (the API's is the test's own)
            for (int i = 0; i < cap - 1; i++) {
                idle.add(new Socket(host, port));
            }
            Socket last = new Socket(host, port);
            idle.add(last);
            Socket oneMore = new Socket(host, port);
            idle.add(oneMore);
            assertThat(closedAtOnce(oneMore) || closedAtOnce(last)).as("one past the cap closed at once").isTrue();
            for (Socket socket : idle.subList(0, 10)) {
                socket.close();
            }
            // the server learns of the closes a moment later
            long deadline = System.nanoTime() + 10_000_000_000L;
            boolean taken = false;
            while (!taken && System.nanoTime() < deadline) {
                try (Socket again = new Socket(host, port)) {
                    taken = !closedAtOnce(again);
                }
            }
            assertThat(taken).as("taken again once others closed").isTrue();
        } finally {
            for (Socket socket : idle) {
                socket.close();
            }
        }
    }

    /** Whether the server closed the connection within a second without a byte sent. */
    private static boolean closedAtOnce(Socket socket) throws IOException {
        socket.setSoTimeout(1000);
        try {
            return socket.getInputStream().read() == -1;
        } catch (SocketTimeoutException open) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }
}

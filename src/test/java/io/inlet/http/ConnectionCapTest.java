package io.inlet.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
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
 * Idle connections cannot use up the process's file handles, nor can one host hold a port's every connection: each
 * port keeps at most its cap open, and at most its share per client address (127.0.0.2, .3 and .4 are three
 * addresses of this machine), closes one more at once, and takes new ones again as soon as others close.
 */
class ConnectionCapTest {

    private static final int API_CAP = 40;
    private static final int API_PER_ADDRESS = 20;
    private static final int S3_CAP = 20;
    private static final int S3_PER_ADDRESS = 10;

    static InletApp app;

    @BeforeAll
    static void start() {
        app = InletApp.start(Map.of(
                "inlet.http.max-connections", String.valueOf(API_CAP),
                "inlet.http.max-connections-per-address", String.valueOf(API_PER_ADDRESS),
                "inlet.s3.embedded.max-connections", String.valueOf(S3_CAP),
                "inlet.s3.embedded.max-connections-per-address", String.valueOf(S3_PER_ADDRESS),
                // idle connections are what is counted here: not closed by the head timeout while the test looks
                "inlet.http.header-timeout", "PT60S",
                "inlet.s3.embedded.header-timeout", "PT60S"));
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void eachPortKeepsAtMostItsCapOfConnectionsOpenAndItsShareFromOneAddress() throws Exception {
        assertCapped(app.httpPort(), API_PER_ADDRESS);
        assertCapped(URI.create(app.settings().s3PublicEndpoint()).getPort(), S3_PER_ADDRESS);
        assertThat(app.get("/ingestion/uploads", null).statusCode()).as("the API answers again").isEqualTo(401);
    }

    /** Two addresses fill the port (their shares are half its cap); a third finds it full. */
    private static void assertCapped(int port, int perAddress) throws Exception {
        List<Socket> open = new ArrayList<>();
        try {
            List<Socket> first = connect(port, "127.0.0.2", perAddress);
            open.addAll(first);
            assertThat(closedAtOnce(first.get(perAddress - 1))).as("its share, from one address").isFalse();
            Socket oneMore = connect(port, "127.0.0.2", 1).get(0);
            open.add(oneMore);
            assertThat(closedAtOnce(oneMore)).as("one past the address's share").isTrue();

            List<Socket> second = connect(port, "127.0.0.3", perAddress);
            open.addAll(second);
            assertThat(closedAtOnce(second.get(0))).as("another address has its own share").isFalse();
            assertThat(closedAtOnce(second.get(perAddress - 1))).as("its whole share").isFalse();
            Socket third = connect(port, "127.0.0.4", 1).get(0);
            open.add(third);
            assertThat(closedAtOnce(third)).as("the port full").isTrue();

            for (Socket socket : first) {
                socket.close();
            }
            // the server learns of the closes a moment later
            long deadline = System.nanoTime() + 10_000_000_000L;
            boolean taken = false;
            while (!taken && System.nanoTime() < deadline) {
                try (Socket again = connect(port, "127.0.0.2", 1).get(0)) {
                    taken = !closedAtOnce(again);
                }
            }
            assertThat(taken).as("taken again once others closed").isTrue();
        } finally {
            for (Socket socket : open) {
                socket.close();
            }
        }
    }

    private static List<Socket> connect(int port, String from, int count) throws IOException {
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            sockets.add(new Socket(InetAddress.getByName("127.0.0.1"), port, InetAddress.getByName(from), 0));
        }
        return sockets;
    }

    /** Whether the server closed the connection within a second without a byte sent. */
    private static boolean closedAtOnce(Socket socket) {
        try {
            socket.setSoTimeout(1000);
            return socket.getInputStream().read() == -1;
        } catch (SocketTimeoutException open) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }
}

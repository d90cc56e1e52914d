package io.inlet.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import io.inlet.testing.InletApp;
import org.junit.jupiter.api.Test;

/**
 * A request to the API without a valid key is refused from its head: the service answers 401 before the body comes
 * (it never holds a stranger's megabyte in memory) and closes the connection.
 */
class ApiKeyGateTest {

    private static final InletApp app = InletApp.shared();

    @Test
    void aRequestWithoutAKeyIsRefusedBeforeItsBodyIsSent() throws IOException {
        String answer = headOnly(null);

        assertThat(answer).startsWith("HTTP/1.1 401").containsIgnoringCase("connection: close")
                .contains("Missing API key: send it in the x-api-key header");
    }

    @Test
    void aRequestWithAnUnknownKeyIsRefusedBeforeItsBodyIsSent() throws IOException {
        String answer = headOnly("inlet_not-a-real-key");

        assertThat(answer).startsWith("HTTP/1.1 401").containsIgnoringCase("connection: close")
                .contains("Unknown API key");
    }

    @Test
    void aRequestWithAValidKeyWaitsForItsBody() throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), app.httpPort())) {
            socket.setSoTimeout(1_500);
            sendHead(socket, app.newTenant("gate").key());
            // nothing comes back while the body is awaited (the read times out), then the connection is still open
            assertThat(readSome(socket.getInputStream())).isEmpty();
        }
    }

    /**
     * Sends the head of a 1 MiB upload-json request, no body, and returns what the service answers (until it has been
     * quiet for 2 s: it keeps the connection open a few seconds for a body to drain before closing it).
     */
    private static String headOnly(String key) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), app.httpPort())) {
            socket.setSoTimeout(2_000);
            sendHead(socket, key);
            return readSome(socket.getInputStream());
        }
    }

    private static void sendHead(Socket socket, String key) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(("POST /ingestion/upload-json HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + (key == null ? "" : "x-api-key: " + key + "\r\n") + "Content-Length: 1048576\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** What arrives until the connection closes or goes quiet (read timeout): empty when nothing came. */
    private static String readSome(InputStream in) throws IOException {
        StringBuilder answer = new StringBuilder();
        byte[] buffer = new byte[8192];
        try {
            int n;
            while ((n = in.read(buffer)) > 0) {
                answer.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
        } catch (java.net.SocketTimeoutException quiet) {
            // the read timed out: what came so far is the answer
        }
        return answer.toString();
    }
}

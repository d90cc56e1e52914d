package io.inlet.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.SlowClients;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The API port lets go of clients that never finish a request head, or never send anything. */
class ApiConnectionTimeoutsTest {

    static InletApp app;

    @BeforeAll
    static void start() {
        app = InletApp.start(Map.of("inlet.http.header-timeout", "PT2S", "inlet.http.idle-timeout", "PT3S",
                "inlet.http.body-timeout", "PT4S"));
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void aTrickledRequestHeadIsCutOff() throws Exception {
        Duration closedAfter = SlowClients.trickleHeadUntilClosed("localhost", app.httpPort(), Duration.ofSeconds(10));

        assertThat(closedAfter).as("closed by the server (header timeout 2 s)").isNotNull()
                .isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aTrickledBodyIsCutOffAtTheBodyTimeout() throws Exception {
        // a byte every half second is never idle (3 s): only the body timeout (4 s) ends it (with a valid key: one
        // without is refused from the head, see ApiKeyGateTest)
        Duration closedAfter = SlowClients.trickleUntilClosed("localhost", app.httpPort(),
                "POST /ingestion/upload-json HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "x-api-key: " + app.newTenant("trickle").key() + "\r\n"
                        + "Content-Length: 1000000\r\n\r\n{", Duration.ofSeconds(20));

        assertThat(closedAfter).as("closed by the server (body timeout 4 s)").isNotNull()
                .isBetween(Duration.ofSeconds(3), Duration.ofSeconds(8));
    }

    @Test
    void theNextRequestHeadOnAKeptAliveConnectionIsTimedToo() throws Exception {
        Duration closedAfter = SlowClients.trickleUntilClosed("localhost", app.httpPort(),
                "GET /observe/health HTTP/1.1\r\nHost: localhost\r\n\r\nGET /observe/health HTTP/1.1\r\nHost: ",
                Duration.ofSeconds(20));

        assertThat(closedAfter).as("closed by the server (header timeout 2 s)").isNotNull()
                .isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aSilentConnectionIsClosed() throws Exception {
        try (Socket socket = new Socket("localhost", app.httpPort())) {
            socket.setSoTimeout(10_000);
            long started = System.nanoTime();
            InputStream in = socket.getInputStream();
            assertThat(in.read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void ordinaryRequestsStillWorkOnAKeptAliveConnection() {
        Tenant tenant = app.newTenant("timeouts");
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> response = app.post("/ingestion/upload-json", tenant.key(),
                    "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"c" + i
                            + "\",\"email\":\"a@b.co\",\"contact_properties\":{}}]}");
            assertThat(response.statusCode()).isEqualTo(200);
        }
        assertThat(app.get("/observe/health", null).statusCode()).isEqualTo(200);
    }
}

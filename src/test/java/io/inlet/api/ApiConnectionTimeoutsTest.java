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
        app = InletApp.start(Map.of("inlet.http.header-timeout", "PT2S", "inlet.http.idle-timeout", "PT3S"));
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

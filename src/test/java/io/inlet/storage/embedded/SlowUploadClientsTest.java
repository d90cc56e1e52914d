package io.inlet.storage.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.SlowClients;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that trickle their uploads cannot freeze the service: the embedded S3's public port and the service's
 * own storage calls do not share threads, slow bodies are cut off below the minimum rate, and a request head
 * that never completes is dropped.
 */
class SlowUploadClientsTest {

    private static final int ATTACKERS = 300;

    static InletApp app;
    static BulkClient client;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        // Every attacker admitted (no per-client or per-tenant cap, nor one on open uploads), so that each one holds
        // an upload thread: the service must keep answering anyway. Short windows keep the test quick.
        app = InletApp.start(Map.of(
                "inlet.upload.max-pending", String.valueOf(ATTACKERS + 10),
                "inlet.s3.embedded.uploads.max-in-flight", String.valueOf(ATTACKERS + 10),
                "inlet.s3.embedded.uploads.max-per-client", String.valueOf(ATTACKERS + 10),
                "inlet.s3.embedded.uploads.max-per-tenant", String.valueOf(ATTACKERS + 10),
                "inlet.s3.embedded.uploads.min-bytes-per-second", "100",
                "inlet.s3.embedded.uploads.min-rate-window", "PT8S",
                "inlet.s3.embedded.header-timeout", "PT3S"));
        client = new BulkClient(app.baseUrl());
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void trickledUploadBodiesNeitherStarveTheServiceNorHoldTheirSlotsForEver() throws Exception {
        Tenant attacker = app.newTenant("slowloris");
        Tenant victim = app.newTenant("victim");
        List<Socket> slow = new ArrayList<>();
        try {
            // Every URL first: the rate window of the first upload must not run out while the last URL is made.
            List<URI> urls = new ArrayList<>();
            for (int i = 0; i < ATTACKERS; i++) {
                urls.add(URI.create(client.requestUrl(attacker.key(), "contact").uploadUrl()));
            }
            for (URI url : urls) {
                slow.add(SlowClients.startPut(url));
            }
            EmbeddedS3 embedded = app.camel().getRegistry().lookupByNameAndType("embeddedS3", EmbeddedS3.class);
            long admittedDeadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (embedded.uploadsInFlight() < ATTACKERS && System.nanoTime() < admittedDeadline) {
                Thread.sleep(50);
            }
            assertThat(embedded.uploadsInFlight()).as("every slow upload holds a slot").isEqualTo(ATTACKERS);

            // 1 byte a second each, while a real tenant keeps using the API.
            long worstMillis = 0;
            for (int second = 0; second < 6; second++) {
                for (Socket socket : slow) {
                    trickle(socket);
                }
                long started = System.nanoTime();
                HttpResponse<String> uploaded = app.post("/ingestion/upload-json", victim.key(),
                        "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"c" + second
                                + "\",\"email\":\"a@b.co\",\"contact_properties\":{}}]}");
                HttpResponse<String> health = app.get("/observe/health", null);
                long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
                assertThat(uploaded.statusCode()).isEqualTo(200);
                assertThat(health.statusCode()).isEqualTo(200);
                worstMillis = Math.max(worstMillis, millis);
                Thread.sleep(Math.max(0, 1000 - millis));
            }
            assertThat(worstMillis).as("upload-json + health under the attack, worst round trip in ms").isLessThan(1000);

            // Below 100 bytes/s over the 8 s window: cut off, answered 400 RequestTimeout, slots free again.
            long cutDeadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (embedded.uploadsInFlight() > 0 && System.nanoTime() < cutDeadline) {
                for (Socket socket : slow) {
                    trickle(socket);
                }
                Thread.sleep(1000);
            }
            assertThat(embedded.uploadsInFlight()).isZero();
            assertThat(SlowClients.answer(slow.get(0))).startsWith("HTTP/1.1 400").contains("RequestTimeout");
        } finally {
            for (Socket socket : slow) {
                socket.close();
            }
        }

        JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "after", 100, 0, true);
        BulkClient.Upload upload = client.requestUrl(victim.key(), "contact_event");
        assertThat(client.put(upload.uploadUrl(), file.path())).isEqualTo(200);
    }

    @Test
    void aRequestHeadThatNeverCompletesIsDropped() throws Exception {
        URI endpoint = URI.create(app.settings().s3PublicEndpoint());

        Duration closedAfter = SlowClients.trickleHeadUntilClosed(endpoint.getHost(), endpoint.getPort(),
                Duration.ofSeconds(10));

        assertThat(closedAfter).as("closed by the server (header timeout 3 s)").isNotNull()
                .isLessThan(Duration.ofSeconds(6));
    }

    private static void trickle(Socket socket) {
        try {
            socket.getOutputStream().write('x');
        } catch (IOException alreadyCutOff) {
            // the server closed it: what the test waits for
        }
    }
}

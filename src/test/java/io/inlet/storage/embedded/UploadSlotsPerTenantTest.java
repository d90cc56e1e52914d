package io.inlet.storage.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.inlet.testing.Await;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.JsonlFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One tenant's unfinished uploads hold at most its share of the embedded S3's upload slots, from however many
 * addresses they come: another tenant's upload still goes through. (Every client here is 127.0.0.1, so the
 * per-address cap is set out of the way.)
 */
class UploadSlotsPerTenantTest {

    private static final int PER_TENANT = 3;

    static InletApp app;
    static BulkClient client;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        app = InletApp.start(Map.of(
                "inlet.s3.embedded.uploads.max-in-flight", "20",
                "inlet.s3.embedded.uploads.max-per-client", "20",
                "inlet.s3.embedded.uploads.max-per-tenant", String.valueOf(PER_TENANT)));
        client = new BulkClient(app.baseUrl());
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void aTenantsUnfinishedUploadsCannotTakeAnotherTenantsSlots() throws Exception {
        Tenant hog = app.newTenant("hog");
        Tenant other = app.newTenant("other");
        EmbeddedS3 embedded = app.camel().getRegistry().lookupByNameAndType("embeddedS3", EmbeddedS3.class);
        List<Socket> unfinished = new ArrayList<>();
        try {
            for (int i = 0; i < PER_TENANT; i++) {
                unfinished.add(startPut(URI.create(client.requestUrl(hog.key(), "contact").uploadUrl())));
            }
            Await.until("the hog's uploads admitted", Duration.ofSeconds(10), () -> embedded.uploadsInFlight() == PER_TENANT);

            Socket oneMore = startPut(URI.create(client.requestUrl(hog.key(), "contact").uploadUrl()));
            unfinished.add(oneMore);
            assertThat(answer(oneMore)).startsWith("HTTP/1.1 503").contains("SlowDown").contains("this tenant");

            JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "other", 10, 0, true);
            BulkClient.Upload upload = client.requestUrl(other.key(), "contact_event");
            assertThat(client.put(upload.uploadUrl(), file.path())).isEqualTo(200);
        } finally {
            for (Socket socket : unfinished) {
                socket.close();
            }
        }
        Await.until("slots given back", Duration.ofSeconds(10), () -> embedded.uploadsInFlight() == 0);
    }

    /** A PUT whose head is sent and whose body never comes. */
    private static Socket startPut(URI url) throws IOException {
        Socket socket = new Socket(url.getHost(), url.getPort());
        socket.getOutputStream().write(("PUT " + url.getRawPath() + "?" + url.getRawQuery() + " HTTP/1.1\r\nHost: "
                + url.getAuthority() + "\r\nContent-Length: 1000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    /** What the server answered within 5 s (it may keep the connection open after the answer). */
    private static String answer(Socket socket) throws IOException {
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
}

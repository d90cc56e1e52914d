package io.inlet.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import io.inlet.testing.Await;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.TestS3;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Inlet pointed at an S3 server it does not run (as it would be at AWS S3, MinIO or LocalStack): the same
 * settings, no code path of its own. Health follows that server.
 */
class ExternalS3Test {

    private S3Proxy external;
    private InletApp app;

    @AfterEach
    void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        if (external != null && external.getState().equals("STARTED")) {
            external.stop();
        }
    }

    @Test
    void uploadsLandInTheConfiguredServerAndHealthFollowsIt() throws Exception {
        int port = InletApp.freePort();
        external = TestS3.inMemory(port, "external-id", "external-secret");
        Map<String, String> settings = TestS3.settings(port, port, "external-id", "external-secret");
        settings.putAll(Map.of(
                "inlet.s3.bucket.inbox", "ext-inbox",
                "inlet.s3.bucket.landing", "ext-landing",
                "inlet.s3.bucket.archive", "ext-archive",
                "inlet.s3.bucket.lake", "ext-lake"));
        app = InletApp.start(settings);
        Tenant tenant = app.newTenant("ext");

        HttpResponse<String> upload = app.post("/ingestion/upload-json", tenant.key(),
                "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"1\",\"email\":\"a@acme.com\",\"contact_properties\":{}}]}");

        assertThat(upload.statusCode()).as(upload.body()).isEqualTo(200);
        String fileKey = upload.body().replaceAll(".*\"file_key\":\"([^\"]+)\".*", "$1");
        assertThat(new String(app.readUploaded(fileKey))).contains("\"contact_id\":\"1\"");
        assertThat(app.settings().inboxBucket()).isEqualTo("ext-inbox");
        assertThat(app.dataDir().resolve("s3")).doesNotExist();
        // the upload index pages with the server's own ListObjectsV2
        Await.until("the upload listed", Duration.ofSeconds(20),
                () -> app.get("/ingestion/uploads?limit=1", tenant.key()).body().contains(fileKey));

        HttpResponse<String> up = app.get("/observe/health", null);
        assertThat(up.statusCode()).as(app.get("/observe/health?exposureLevel=full", null).body()).isEqualTo(200);
        assertThat(up.body()).contains("UP");

        external.stop();
        HttpResponse<String> down = app.get("/observe/health", null);
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(down.body()).contains("DOWN");
    }
}

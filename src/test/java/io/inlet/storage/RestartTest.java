package io.inlet.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.Map;

import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import org.junit.jupiter.api.Test;

/** The embedded S3 keeps its objects, and the key file its keys, across a restart on the same data directory. */
class RestartTest {

    @Test
    void storedObjectsAndKeysSurviveARestart() {
        try (InletApp app = InletApp.start(Map.of())) {
            Tenant tenant = app.newTenant("restart");
            HttpResponse<String> before = app.post("/ingestion/upload-json", tenant.key(),
                    "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"1\",\"email\":\"a@acme.com\",\"contact_properties\":{}}]}");
            assertThat(before.statusCode()).isEqualTo(200);
            String fileKey = before.body().replaceAll(".*\"file_key\":\"([^\"]+)\".*", "$1");

            app.restart();

            // Still in the inbox, or already processed into the archive: either way it is there.
            assertThat(S3Objects.head(app.s3(), app.settings().inboxBucket(), fileKey)
                    .or(() -> S3Objects.head(app.s3(), app.settings().archiveBucket(), fileKey))).isPresent();
            HttpResponse<String> after = app.post("/ingestion/upload-json", tenant.key(),
                    "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"2\",\"email\":\"b@acme.com\",\"contact_properties\":{}}]}");
            assertThat(after.statusCode()).isEqualTo(200);
        }
    }
}

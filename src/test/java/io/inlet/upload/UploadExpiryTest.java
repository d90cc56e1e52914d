package io.inlet.upload;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.Json;
import io.inlet.storage.S3Objects;
import io.inlet.testing.Await;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Presigned uploads nobody confirmed expire: the upload is deleted, the status says so, confirm is refused. */
class UploadExpiryTest {

    static InletApp app;
    static BulkClient client;

    @BeforeAll
    static void start() {
        app = InletApp.start(Map.of(
                "inlet.upload.url-expiry", "PT8S",
                "inlet.upload.expiry-grace", "PT0S",
                "inlet.upload.expiry-check-ms", "500"));
        client = new BulkClient(app.baseUrl());
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void uploadsNotConfirmedInTimeExpireAndConfirmedOnesAreProcessed(@TempDir Path dir) throws IOException {
        Tenant tenant = app.newTenant("expiry");
        JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "expiry", 100, 0, true);
        BulkClient.Upload neverUploaded = client.requestUrl(tenant.key(), "contact_event");
        BulkClient.Upload neverConfirmed = client.requestUrl(tenant.key(), "contact_event");
        BulkClient.Upload confirmed = client.requestUrl(tenant.key(), "contact_event");
        assertThat(client.put(neverConfirmed.uploadUrl(), file.path())).isEqualTo(200);
        assertThat(client.put(confirmed.uploadUrl(), file.path())).isEqualTo(200);
        assertThat(client.confirm(tenant.key(), confirmed.fileKey()).statusCode()).isEqualTo(200);

        for (BulkClient.Upload upload : new BulkClient.Upload[] {neverUploaded, neverConfirmed}) {
            JsonNode status = client.awaitStatus(tenant.key(), upload.fileKey(),
                    s -> s.get("state").asText().equals("expired"), Duration.ofSeconds(30));
            assertThat(status.get("failure_reason").asText()).contains("not confirmed by");
        }
        assertThat(S3Objects.head(app.s3(), app.settings().landingBucket(), neverConfirmed.fileKey()))
                .as("the unconfirmed upload is deleted").isEmpty();
        assertThat(client.awaitFinal(tenant.key(), confirmed.fileKey(), Duration.ofSeconds(30)).get("state").asText())
                .isEqualTo("completed");
        assertThat(Lake.partKeys(app.s3(), app.settings().lakeBucket(), "_pending/"))
                .as("no upload left open").noneMatch(k -> k.contains("tenant=" + tenant.id() + "/"));

        // An upload whose status was never written (the service stopped between generate-upload-url's two writes,
        // marker first: no URL handed out) is left while it may be being made, then removed: nothing awaits forever.
        String unwritten = "data/tenants/objects/contact_event/source_system=dataapi/tenant=" + tenant.id()
                + "/dt=2026-11-29-02-00/" + java.util.UUID.randomUUID() + ".jsonl.gz";
        app.s3().putObject(b -> b.bucket(app.settings().lakeBucket()).key("_pending/" + unwritten),
                software.amazon.awssdk.core.sync.RequestBody.empty());
        Await.until("the status-less marker removed once as old as an expired upload (here sooner than 10 min)",
                Duration.ofSeconds(30),
                () -> S3Objects.head(app.s3(), app.settings().lakeBucket(), "_pending/" + unwritten).isEmpty());
        assertThat(client.status(tenant.key(), unwritten).statusCode()).isEqualTo(404);

        HttpResponse<String> late = client.confirm(tenant.key(), neverConfirmed.fileKey());
        assertThat(late.statusCode()).isEqualTo(410);
        JsonNode body = Json.mapper().readTree(late.body());
        assertThat(body.get("message").asText()).contains("expired");
        assertThat(body.get("errors").get(0).get("pointer").asText()).isEqualTo("/file_key");
    }
}

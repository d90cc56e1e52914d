package io.inlet.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.Json;
import io.inlet.schema.Stream;
import io.inlet.storage.FileKey;
import io.inlet.testing.Await;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Overload protection on the real service ({@link LimitedApp}: a bound of 20 files): with the queue consumer stopped,
 * one tenant's files written into the inbox pile up past the bound; that tenant's upload-json and confirm-upload
 * answer 503 until the consumer runs again and the backlog drains, while another tenant goes on sending.
 */
class OverloadTest {

    static final String BATCH = """
            {"stream":"contact","data":[{"contact_id":"c-1","email":"a@b.co","contact_properties":{}}]}""";

    static final InletApp app = LimitedApp.get();
    static final BulkClient client = new BulkClient(app.baseUrl());

    @TempDir
    Path dir;

    @Test
    void aBacklogOverItsBoundRefusesNewWorkUntilItDrains() throws Exception {
        Tenant tenant = app.tenant("heavy");
        Path file = dir.resolve("contacts.jsonl");
        Files.writeString(file, "{\"contact_id\":\"c-2\",\"email\":\"c@d.co\",\"contact_properties\":{}}\n",
                StandardCharsets.UTF_8);
        BulkClient.Upload upload = client.requestUrl(tenant.key(), "contact");
        assertThat(client.put(upload.uploadUrl(), file)).isEqualTo(200);

        app.camel().getRouteController().stopRoute("inbox-queue");
        try {
            // 21 files, as another system writing straight into the inbox would leave them
            for (int i = 0; i < 21; i++) {
                String key = FileKey.create(Stream.CONTACT, FileKey.SOURCE_API, tenant.id(), Instant.now(), false).key();
                app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key),
                        RequestBody.fromString("{\"contact_id\":\"c-" + i + "\",\"email\":\"c@d.co\",\"contact_properties\":{}}\n"));
            }
            Await.until("the health report says degraded", Duration.ofSeconds(10), () -> backlogHealth().get("data")
                    .get("degraded").asBoolean());

            HttpResponse<String> refused = app.post("/ingestion/upload-json", tenant.key(), BATCH);
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            JsonNode body = Json.mapper().readTree(refused.body());
            assertThat(body.get("status").asText()).isEqualTo("error");
            assertThat(body.get("message").asText()).isEqualTo("Inlet is overloaded: more than 20 files wait to be "
                    + "processed (the bound), 21 of them this tenant's; nothing was accepted, retry after 1 s");
            assertThat(body.get("errors").isArray()).isTrue();
            HttpResponse<String> confirmRefused = client.confirm(tenant.key(), upload.fileKey());
            assertThat(confirmRefused.statusCode()).as(confirmRefused.body()).isEqualTo(503);
            assertThat(confirmRefused.headers().firstValue("Retry-After")).hasValue("1");
            // A tenant the backlog is not made of goes on sending.
            Tenant light = app.tenant("light");
            HttpResponse<String> other = app.post("/ingestion/upload-json", light.key(), BATCH);
            assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
            // What adds no work goes on, and the instance stays in its load balancer.
            assertThat(client.status(tenant.key(), upload.fileKey()).body()).contains("\"state\":\"awaiting_upload\"");
            client.requestUrl(tenant.key(), "contact");
            HttpResponse<String> health = app.get("/observe/health", null);
            assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
            assertThat(health.body()).isEqualTo("{\"status\":\"UP\"}");
            JsonNode backlog = backlogHealth();
            assertThat(backlog.get("status").asText()).isEqualTo("UP");
            assertThat(backlog.get("message").asText()).isEqualTo("degraded: more than 20 files wait to be processed (the bound)");
            assertThat(backlog.get("data").get("backlog_files").asLong()).isGreaterThanOrEqualTo(21);
            assertThat(backlog.get("data").get("backlog_files_capped").asBoolean()).as("listed to the end: 4 bounds")
                    .isFalse();
        } finally {
            app.camel().getRouteController().startRoute("inbox-queue");
        }

        Await.until("the backlog drained", Duration.ofSeconds(30), () -> !backlogHealth().get("data")
                .get("degraded").asBoolean());
        assertThat(client.confirm(tenant.key(), upload.fileKey()).statusCode()).isEqualTo(200);
        assertThat(app.post("/ingestion/upload-json", tenant.key(), BATCH).statusCode()).isEqualTo(200);
    }

    /** The inlet/backlog entry of the full health report. */
    private static JsonNode backlogHealth() {
        HttpResponse<String> response = app.send(HttpRequest.newBuilder(
                        URI.create(app.baseUrl() + "/observe/health?exposureLevel=full&data=true"))
                .header("Authorization", "Bearer " + InletApp.SCRAPE_TOKEN).GET().build());
        try {
            for (JsonNode check : Json.mapper().readTree(response.body()).get("checks")) {
                if (check.get("name").asText().equals("backlog")) {
                    return check;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        throw new AssertionError("no backlog check in " + response.body());
    }
}

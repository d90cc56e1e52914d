package io.inlet.upload;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Json;
import io.inlet.queue.WorkQueue;
import io.inlet.storage.LakeKeys;
import io.inlet.testing.Await;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.Scrape;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * POST /ingestion/validate: upload-json's checks without upload-json's effects. Every refusal is byte for byte the
 * one upload-json gives for the same request; a good batch is answered 200 and nothing is stored, announced or
 * counted.
 */
class UploadJsonDryRunTest {

    private static final String VALID = """
            {"stream":"contact","data":[
              {"contact_id":"c-1","email":"jane@acme.com","contact_properties":{"title":"CTO"}},
              {"contact_id":"c-2","email":"joe@acme.com","contact_properties":{}}]}""";

    private static final ObjectMapper JSON = Json.mapper();
    private static final InletApp app = InletApp.shared();
    private static final Tenant tenant = app.newTenant("dry-run");

    @Test
    void aValidBatchIsAnswered200AndNothingIsStoredAnnouncedOrCounted() throws Exception {
        Tenant control = app.newTenant("dry-run-control");
        WorkQueue queue = app.camel().getRegistry().lookupByNameAndType("workQueue", WorkQueue.class);
        // Held, so that every message sent from now on stays in the queue to be looked at.
        app.camel().getRouteController().stopRoute("inbox-queue");
        try {
            HttpResponse<String> dryRun = app.post("/ingestion/validate", tenant.key(), VALID);

            assertThat(dryRun.statusCode()).as(dryRun.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(dryRun.body());
            assertThat(body.get("status").asText()).isEqualTo("success");
            assertThat(body.get("dry_run").asBoolean()).isTrue();
            assertThat(body.get("stream").asText()).isEqualTo("contact");
            assertThat(body.get("records_accepted").asInt()).isEqualTo(2);
            assertThat(body.get("records_rejected").asInt()).isZero();
            assertThat(body.get("first_rejections")).isEmpty();
            assertThat(body.get("message").asText()).contains("nothing was stored");
            assertThat(body.has("file_key")).isFalse();

            // A real upload by another tenant after the dry run: once its announcement is in the queue, one for the
            // dry run, sent before it, would be there too.
            assertThat(app.post("/ingestion/upload-json", control.key(), VALID).statusCode()).isEqualTo(200);
            List<String> messages = new ArrayList<>();
            Await.until("the control upload announced", Duration.ofSeconds(10), () -> {
                queue.client().receiveMessage(b -> b.queueUrl(queue.url()).maxNumberOfMessages(10).visibilityTimeout(0))
                        .messages().stream().map(Message::body).forEach(messages::add);
                return messages.stream().anyMatch(m -> m.contains(control.id()));
            });
            assertThat(messages).noneMatch(m -> m.contains(tenant.id()));
        } finally {
            app.camel().getRouteController().startRoute("inbox-queue");
        }
        for (String bucket : List.of(app.settings().inboxBucket(), app.settings().archiveBucket(),
                app.settings().landingBucket())) {
            assertThat(keysUnder(bucket, "data/tenants/objects/contact/source_system=dataapi/tenant=" + tenant.id() + "/"))
                    .as(bucket).isEmpty();
        }
        assertThat(keysUnder(app.settings().lakeBucket(), LakeKeys.STATUS_PREFIX + "data/tenants/objects/contact/"
                + "source_system=dataapi/tenant=" + tenant.id() + "/")).isEmpty();
        assertThat(keysUnder(app.settings().lakeBucket(), "contact/tenant=" + tenant.id() + "/")).isEmpty();
        Scrape metrics = Scrape.of(app);
        assertThat(metrics.has("inlet_received_files_total", "tenant", tenant.id())).isFalse();
        assertThat(metrics.has("inlet_received_files_total", "tenant", control.id())).isTrue();
    }

    @Test
    void invalidRecordsGetUploadJsonsAnswerNamingEachRecordAndField() throws IOException {
        String request = """
                {"stream":"contact","data":[
                  {"contact_id":"ok","email":"ok@acme.com","contact_properties":{}},
                  {"contact_id":"c-2","contact_properties":{}},
                  {"contact_id":7,"email":"x@acme.com","contact_properties":{}}]}""";

        HttpResponse<String> dryRun = sameAnswerAsUploadJson(request, "application/json", 422);

        JsonNode body = JSON.readTree(dryRun.body());
        assertThat(body.get("message").asText()).startsWith("2 of 3 records do not match the contact schema");
        List<String> errors = new ArrayList<>();
        body.get("errors").forEach(e -> errors.add(e.get("index") + " " + e.get("pointer").asText() + " "
                + e.get("message").asText()));
        assertThat(errors).containsExactly("1 /email is required but missing",
                "2 /contact_id must be a string, not a number");
    }

    @Test
    void aBadEnvelopeOrBodyGetsUploadJsonsAnswer() {
        sameAnswerAsUploadJson("{\"stream\":\"leads\",\"data\":{}}", "application/json", 400);
        sameAnswerAsUploadJson("{\"stream\":\"contact\",\"data\":[", "application/json", 400);
        sameAnswerAsUploadJson("", "application/json", 400);
        sameAnswerAsUploadJson(VALID, "text/csv", 415);
        sameAnswerAsUploadJson("{\"stream\":\"contact\",\"data\":[{\"padding\":\"" + "x".repeat(1 << 20) + "\"}]}",
                "application/json", 413);
    }

    @Test
    void anApiKeyIsRequired() {
        HttpResponse<String> missing = app.post("/ingestion/validate", null, VALID);
        HttpResponse<String> unknown = app.post("/ingestion/validate", "inlet_not-a-real-key", VALID);

        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(missing.body()).isEqualTo(app.post("/ingestion/upload-json", null, VALID).body());
        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(unknown.body()).contains("Unknown API key");
    }

    @Test
    void aGzipBodyIsCheckedAsUploadJsonChecksIt() throws IOException {
        ByteArrayOutputStream gzip = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gzip)) {
            out.write(VALID.getBytes(StandardCharsets.UTF_8));
        }
        HttpResponse<String> response = app.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/ingestion/validate"))
                .header("x-api-key", tenant.key()).header("Content-Type", "application/json")
                .header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(gzip.toByteArray())).build());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).get("records_accepted").asInt()).isEqualTo(2);
    }

    /** The dry run's answer, after checking that upload-json answers the same request the same way. */
    private HttpResponse<String> sameAnswerAsUploadJson(String body, String contentType, int status) {
        HttpResponse<String> dryRun = post("/ingestion/validate", body, contentType);
        HttpResponse<String> upload = post("/ingestion/upload-json", body, contentType);
        assertThat(dryRun.statusCode()).as(dryRun.body()).isEqualTo(status);
        assertThat(upload.statusCode()).isEqualTo(status);
        assertThat(dryRun.body()).isEqualTo(upload.body());
        assertThat(dryRun.headers().firstValue("Content-Type")).isEqualTo(upload.headers().firstValue("Content-Type"));
        return dryRun;
    }

    private HttpResponse<String> post(String path, String body, String contentType) {
        return app.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + path)).timeout(Duration.ofSeconds(30))
                .header("x-api-key", tenant.key()).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private List<String> keysUnder(String bucket, String prefix) {
        return app.s3().listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                .map(o -> o.key()).toList();
    }
}

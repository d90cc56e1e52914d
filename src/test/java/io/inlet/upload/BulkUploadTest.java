package io.inlet.upload;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.inlet.Json;
import io.inlet.storage.LakeKeys;
import io.inlet.storage.S3Objects;
import io.inlet.testing.Await;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/** Mode 2 of the reference end to end: presign, PUT, confirm, status, and what reaches the lake. */
class BulkUploadTest {

    static InletApp app;
    static BulkClient client;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        app = InletApp.shared();
        client = new BulkClient(app.baseUrl());
    }

    @Test
    void aPresignedUploadReachesTheLakeExactly() throws IOException {
        Tenant tenant = app.newTenant("bulk");
        JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "clean", 5_000, 0, true);

        BulkClient.Upload upload = client.requestUrl(tenant.key(), "contact_event");
        assertThat(upload.fileKey()).matches("data/tenants/objects/contact_event/source_system=dataapi/tenant="
                + tenant.id() + "/dt=\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}/[0-9a-f-]{36}\\.jsonl\\.gz");
        assertThat(upload.uploadUrl()).startsWith(app.settings().s3PublicEndpoint() + "/" + app.settings().landingBucket() + "/")
                .contains("X-Amz-Signature=").contains("X-Amz-SignedHeaders=host&");
        assertThat(client.status(tenant.key(), upload.fileKey()).body()).contains("\"state\":\"awaiting_upload\"");

        assertThat(client.put(upload.uploadUrl(), file.path())).isEqualTo(200);
        HttpResponse<String> confirmed = client.confirm(tenant.key(), upload.fileKey());

        assertThat(confirmed.statusCode()).isEqualTo(200);
        assertThat(confirmed.body()).isEqualTo("{\"status\":\"success\",\"message\":\"File upload confirmed and processing started\"}");
        JsonNode status = client.awaitFinal(tenant.key(), upload.fileKey(), Duration.ofSeconds(60));
        assertThat(status.get("state").asText()).isEqualTo("completed");
        assertThat(status.get("records_accepted").asLong()).isEqualTo(5_000);
        assertThat(status.get("records_rejected").asLong()).isZero();
        assertThat(status.get("bytes_read").asLong()).isEqualTo(Files.size(file.path()));
        assertThat(status.get("bytes_total").asLong()).isEqualTo(Files.size(file.path()));
        assertThat(status.has("confirmed_at")).isTrue();
        assertThat(status.has("finished_at")).isTrue();

        List<JsonNode> records = Lake.records(app.s3(), app.settings().lakeBucket(), "contact_event/tenant=" + tenant.id() + "/");
        assertThat(Lake.values(records, "event_id")).containsExactlyInAnyOrderElementsOf(file.validIds());
        // Events are partitioned by their own date.
        List<String> lakeKeys = new ArrayList<>();
        status.get("lake_keys").forEach(k -> lakeKeys.add(k.asText()));
        assertThat(lakeKeys).allMatch(k -> k.matches("contact_event/tenant=" + tenant.id()
                + "/dt=2025-06-0[123]/part-\\d{8}T\\d{9}Z-[0-9a-f]{12}-\\d{5}\\.jsonl\\.gz")).hasSize(3);
        for (String key : lakeKeys) {
            String day = key.replaceAll(".*/dt=(\\d{4}-\\d{2}-\\d{2})/.*", "$1");
            assertThat(Lake.gzipJsonLines(app.s3(), app.settings().lakeBucket(), key))
                    .allMatch(r -> r.get("event_timestamp").asText().startsWith(day));
        }
        // The source moves from the inbox to the archive (right after its status is final).
        Await.until("the move to the archive", Duration.ofSeconds(30),
                () -> S3Objects.head(app.s3(), app.settings().inboxBucket(), upload.fileKey()).isEmpty());
        assertThat(S3Objects.head(app.s3(), app.settings().archiveBucket(), upload.fileKey())).isPresent();
    }

    @Test
    void aMixedFileCompletesWithErrorsAndItsRejectedFileHoldsExactlyTheInvalidLines() throws IOException {
        Tenant tenant = app.newTenant("mixed");
        JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "mixed", 3_000, 100, true);

        BulkClient.Upload upload = client.requestUrl(tenant.key(), "contact_event");
        // This time with the headers the reference's Python script sends.
        assertThat(client.putWithHeaders(upload.uploadUrl(), file.path())).isEqualTo(200);
        assertThat(client.confirm(tenant.key(), upload.fileKey()).statusCode()).isEqualTo(200);
        JsonNode status = client.awaitFinal(tenant.key(), upload.fileKey(), Duration.ofSeconds(60));

        assertThat(status.get("state").asText()).isEqualTo("completed_with_errors");
        assertThat(status.get("records_accepted").asLong()).isEqualTo(2_970);
        assertThat(status.get("records_rejected").asLong()).isEqualTo(30);
        JsonNode first = status.get("first_rejections").get(0);
        assertThat(first.get("line").asLong()).isEqualTo(100);
        assertThat(first.get("pointer").asText()).isEqualTo("/contact_id");
        assertThat(first.get("message").asText()).isEqualTo("is required but missing");

        List<JsonNode> rejected = Lake.gzipJsonLines(app.s3(), app.settings().lakeBucket(), status.get("rejected_key").asText());
        assertThat(rejected).extracting(r -> r.get("line").asLong()).containsExactlyElementsOf(file.invalidLines());
        assertThat(rejected.get(0).get("raw").asText()).startsWith("{\"event_id\":\"mixed-100\"");
        assertThat(rejected.get(0).get("errors").get(0).get("pointer").asText()).isEqualTo("/contact_id");
        assertThat(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(), "contact_event/tenant=" + tenant.id() + "/"),
                "event_id")).containsExactlyInAnyOrderElementsOf(file.validIds());
    }

    @Test
    void aFileThatIsNotGzipAndATruncatedGzipFailWithAReasonAndLoseNothingElse() throws IOException {
        Tenant tenant = app.newTenant("broken");
        Path binary = dir.resolve("photo.jsonl.gz");
        byte[] noise = new byte[20_000];
        new java.util.Random(7).nextBytes(noise);
        noise[0] = (byte) 0x89; // a PNG, say: anything but the gzip magic
        Files.write(binary, noise);
        JsonlFiles.Generated whole = JsonlFiles.contactEvents(dir, "whole", 2_000, 0, true);
        Path truncated = dir.resolve("truncated.jsonl.gz");
        byte[] complete = Files.readAllBytes(whole.path());
        Files.write(truncated, Arrays.copyOf(complete, complete.length / 2));
        JsonlFiles.Generated good = JsonlFiles.contactEvents(dir, "good", 1_000, 0, true);

        List<String> keys = new ArrayList<>();
        for (Path path : List.of(binary, truncated, good.path())) {
            BulkClient.Upload upload = client.requestUrl(tenant.key(), "contact_event");
            assertThat(client.put(upload.uploadUrl(), path)).isEqualTo(200);
            keys.add(upload.fileKey());
        }
        // Confirmed together, so they are likely processed in one batch: a failing file must not take the others down.
        keys.forEach(k -> assertThat(client.confirm(tenant.key(), k).statusCode()).isEqualTo(200));

        JsonNode notGzip = client.awaitFinal(tenant.key(), keys.get(0), Duration.ofSeconds(60));
        JsonNode cut = client.awaitFinal(tenant.key(), keys.get(1), Duration.ofSeconds(60));
        JsonNode fine = client.awaitFinal(tenant.key(), keys.get(2), Duration.ofSeconds(60));

        assertThat(notGzip.get("state").asText()).isEqualTo("failed");
        assertThat(notGzip.get("failure_reason").asText()).contains("not gzip");
        assertThat(cut.get("state").asText()).isEqualTo("failed");
        assertThat(cut.get("failure_reason").asText()).contains("truncated gzip");
        assertThat(cut.get("records_accepted").asLong()).isZero();
        assertThat(fine.get("state").asText()).isEqualTo("completed");
        // Only the good file's records: none of the truncated file's first half.
        assertThat(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(), "contact_event/tenant=" + tenant.id() + "/"),
                "event_id")).containsExactlyInAnyOrderElementsOf(good.validIds());
        // Failed files are kept in the archive for inspection, not left in the inbox.
        for (String key : keys) {
            Await.until("the move of " + key + " to the archive", Duration.ofSeconds(30),
                    () -> S3Objects.head(app.s3(), app.settings().archiveBucket(), key).isPresent());
        }
    }

    @Test
    void anotherTenantCanNeitherConfirmNorSeeTheStatusOfAFile() throws IOException {
        Tenant owner = app.newTenant("owner");
        Tenant other = app.newTenant("other");
        BulkClient.Upload upload = client.requestUrl(owner.key(), "contact_event");
        client.put(upload.uploadUrl(), JsonlFiles.contactEvents(dir, "own", 10, 0, true).path());

        HttpResponse<String> confirm = client.confirm(other.key(), upload.fileKey());
        HttpResponse<String> status = client.status(other.key(), upload.fileKey());
        HttpResponse<String> unknownKey = client.status(other.key(), upload.fileKey().replace(owner.id(), other.id()));

        assertThat(confirm.statusCode()).isEqualTo(403);
        assertThat(status.statusCode()).isEqualTo(403);
        assertThat(confirm.body()).doesNotContain("bytes").doesNotContain("size");
        assertThat(status.body()).doesNotContain("state").doesNotContain("bytes");
        assertThat(unknownKey.statusCode()).isEqualTo(404);
        // The file waits for its owner.
        assertThat(client.status(owner.key(), upload.fileKey()).body()).contains("awaiting_upload");
        assertThat(client.confirm(owner.key(), upload.fileKey()).statusCode()).isEqualTo(200);
    }

    @Test
    void confirmingTwiceProcessesTheFileOnce() throws IOException {
        Tenant tenant = app.newTenant("twice");
        JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "twice", 2_000, 0, true);
        BulkClient.Upload upload = client.requestUrl(tenant.key(), "contact_event");
        client.put(upload.uploadUrl(), file.path());

        CompletableFuture<HttpResponse<String>> a = CompletableFuture.supplyAsync(() -> client.confirm(tenant.key(), upload.fileKey()));
        CompletableFuture<HttpResponse<String>> b = CompletableFuture.supplyAsync(() -> client.confirm(tenant.key(), upload.fileKey()));
        assertThat(a.join().statusCode()).isEqualTo(200);
        assertThat(b.join().statusCode()).isEqualTo(200);
        client.awaitFinal(tenant.key(), upload.fileKey(), Duration.ofSeconds(60));
        HttpResponse<String> again = client.confirm(tenant.key(), upload.fileKey());

        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).contains("File upload confirmed and processing started");
        assertThat(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(), "contact_event/tenant=" + tenant.id() + "/"),
                "event_id")).containsExactlyInAnyOrderElementsOf(file.validIds());
    }

    @Test
    void anotherFilePutToAConfirmedUploadIsRefusedAtConfirmNotSilentlyDropped() throws IOException {
        Tenant tenant = app.newTenant("reput");
        JsonlFiles.Generated first = JsonlFiles.contactEvents(dir, "reput-1", 1_000, 0, true);
        JsonlFiles.Generated second = JsonlFiles.contactEvents(dir, "reput-2", 1_500, 0, true);
        BulkClient.Upload upload = client.requestUrl(tenant.key(), "contact_event");
        client.put(upload.uploadUrl(), first.path());
        assertThat(client.confirm(tenant.key(), upload.fileKey()).statusCode()).isEqualTo(200);
        client.awaitFinal(tenant.key(), upload.fileKey(), Duration.ofSeconds(60));

        // the same bytes again (a retry of the PUT) are the confirmed file: still 200
        assertThat(client.put(upload.uploadUrl(), first.path())).isEqualTo(200);
        assertThat(client.confirm(tenant.key(), upload.fileKey()).statusCode()).isEqualTo(200);
        // another file through the URL, still valid: refused, and said so
        assertThat(client.put(upload.uploadUrl(), second.path())).isEqualTo(200);
        HttpResponse<String> refused = client.confirm(tenant.key(), upload.fileKey());

        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.body()).contains("already confirmed").contains("request a new upload URL");
        assertThat(app.s3().listObjectsV2(b -> b.bucket(app.settings().landingBucket()).prefix(upload.fileKey())).keyCount())
                .as("the second file left in landing").isZero();
        assertThat(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(), "contact_event/tenant=" + tenant.id() + "/"),
                "event_id")).containsExactlyInAnyOrderElementsOf(first.validIds());
    }

    @Test
    void confirmingWithoutAnUploadIs404AndABadRequestIs422() {
        Tenant tenant = app.newTenant("early");
        BulkClient.Upload upload = client.requestUrl(tenant.key(), "contact");

        HttpResponse<String> early = client.confirm(tenant.key(), upload.fileKey());
        HttpResponse<String> badStream = client.post("/ingestion/generate-upload-url", tenant.key(),
                "{\"stream\":\"leads\",\"content_type\":\"application/jsonl\",\"content_encoding\":\"gzip\"}");
        HttpResponse<String> badEncoding = client.post("/ingestion/generate-upload-url", tenant.key(),
                "{\"stream\":\"contact\",\"content_type\":\"application/jsonl\",\"content_encoding\":\"br\"}");
        HttpResponse<String> noKey = client.post("/ingestion/confirm-upload", tenant.key(), "{}");

        assertThat(early.statusCode()).isEqualTo(404);
        assertThat(early.body()).contains("PUT the file to its upload_url first");
        assertThat(badStream.statusCode()).isEqualTo(422);
        assertThat(badStream.body()).contains("\"pointer\":\"/stream\"");
        assertThat(badEncoding.statusCode()).isEqualTo(422);
        assertThat(badEncoding.body()).contains("\"pointer\":\"/content_encoding\"").contains("must be \\\"gzip\\\"");
        assertThat(noKey.statusCode()).isEqualTo(422);
        assertThat(noKey.body()).contains("\"pointer\":\"/file_key\"");
    }

    @Test
    void askingAgainGivesAFreshUrl() {
        Tenant tenant = app.newTenant("fresh");
        BulkClient.Upload first = client.requestUrl(tenant.key(), "account");
        BulkClient.Upload second = client.requestUrl(tenant.key(), "account");
        assertThat(second.fileKey()).isNotEqualTo(first.fileKey());
        assertThat(second.uploadUrl()).isNotEqualTo(first.uploadUrl());
    }

    @Test
    void anObjectOverTheLimitIsRefusedAtConfirmAndDeleted() throws IOException {
        try (InletApp small = InletApp.start(Map.of("inlet.upload.max-bytes", "10000"))) {
            BulkClient smallClient = new BulkClient(small.baseUrl());
            Tenant tenant = small.newTenant("big");
            JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "big", 5_000, 0, true);
            assertThat(Files.size(file.path())).isGreaterThan(10_000);
            BulkClient.Upload upload = smallClient.requestUrl(tenant.key(), "contact_event");
            // An earlier confirmation recorded "queued" and was cut short before its copy (a crash, or a PUT during it)
            String statusKey = LakeKeys.status(upload.fileKey());
            ObjectNode cutShort = (ObjectNode) Json.mapper().readTree(small.readObject(small.settings().lakeBucket(), statusKey));
            cutShort.put("state", "queued").put("confirmed_at", Instant.now().toString());
            small.s3().putObject(b -> b.bucket(small.settings().lakeBucket()).key(statusKey),
                    RequestBody.fromBytes(Json.mapper().writeValueAsBytes(cutShort)));
            // The embedded S3 refuses the PUT itself, before reading the body (its Content-Length says enough)...
            assertThat(smallClient.put(upload.uploadUrl(), file.path())).isEqualTo(400);
            assertThat(small.s3().listObjectsV2(b -> b.bucket(small.settings().landingBucket())
                    .prefix(upload.fileKey())).keyCount()).isZero();
            // ...but an S3 whose upload URLs cannot limit the size (AWS's presigned PUTs) takes it: confirm refuses it.
            small.s3().putObject(b -> b.bucket(small.settings().landingBucket()).key(upload.fileKey()),
                    RequestBody.fromFile(file.path()));

            HttpResponse<String> refused = smallClient.confirm(tenant.key(), upload.fileKey());

            assertThat(refused.statusCode()).isEqualTo(413);
            assertThat(refused.body()).contains("over the limit of 10000 bytes").contains("deleted");
            for (String bucket : List.of(small.settings().landingBucket(), small.settings().inboxBucket())) {
                assertThat(small.s3().listObjectsV2(b -> b.bucket(bucket).prefix(upload.fileKey())).keyCount()).isZero();
            }
            JsonNode status = smallClient.awaitFinal(tenant.key(), upload.fileKey(), Duration.ofSeconds(5));
            assertThat(status.get("state").asText()).isEqualTo("failed");

            // The right file PUT to the same URL afterwards is confirmed and processed (the refusal is no confirmation)
            JsonlFiles.Generated right = JsonlFiles.contactEvents(dir, "right", 10, 0, true);
            assertThat(smallClient.put(upload.uploadUrl(), right.path())).isEqualTo(200);
            assertThat(smallClient.confirm(tenant.key(), upload.fileKey()).statusCode()).isEqualTo(200);
            JsonNode processed = smallClient.awaitStatus(tenant.key(), upload.fileKey(),
                    s -> s.get("state").asText().startsWith("completed"), Duration.ofSeconds(30));
            assertThat(processed.get("records_accepted").asLong()).isEqualTo(10);
        }
    }
}

package io.inlet.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.storage.LakeKeys;
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
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The queue drives the pipeline: messages in the S3 Event Notification format (as AWS sends them, and as Inlet
 * sends them itself), duplicates, test events. The app reconciles only at start (then hourly), so every file
 * written here after start is processed because a message announced it.
 */
class WorkQueueTest {

    static InletApp app;
    static SqsClient sqs;
    static String queueUrl;
    static BulkClient client;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        int queuePort = InletApp.freePort();
        app = InletApp.start(Map.of(
                "inlet.queue.embedded.port", String.valueOf(queuePort),
                "inlet.queue.reconcile-interval", "PT1H"));
        sqs = WorkQueue.client(app.settings().queue(), URI.create("http://127.0.0.1:" + queuePort));
        queueUrl = sqs.getQueueUrl(b -> b.queueName(app.settings().queue().name())).queueUrl();
        client = new BulkClient(app.baseUrl());
    }

    @AfterAll
    static void stop() {
        sqs.close();
        app.close();
    }

    @Test
    void aMessageDeliveredTwiceIsProcessedOnce() {
        Tenant tenant = app.newTenant("twice");
        String key = "data/tenants/objects/contact/source_system=crm/tenant=" + tenant.id() + "/dt=2026-01-02-03-04/twice.jsonl";
        List<String> ids = putContacts(key, "tw", 50);
        String event = s3Event(key, 50 * 80);

        send(event);
        send(event);
        JsonNode status = client.awaitFinal(tenant.key(), key, Duration.ofSeconds(30));
        // And once more after it was processed (a message SQS delivers late, or a second notification).
        send(event);
        awaitQueueDrained();

        assertThat(status.get("state").asText()).isEqualTo("completed");
        assertThat(Lake.values(Lake.records(app.s3(), lake(), "contact/tenant=" + tenant.id() + "/"), "contact_id"))
                .containsExactlyInAnyOrderElementsOf(ids);
        awaitNothingLeft(key);
    }

    @Test
    void s3EventNotificationsAreReadAndTheTestEventIsSkipped() {
        Tenant tenant = app.newTenant("events");
        String key = "data/tenants/objects/account/source_system=crm/tenant=" + tenant.id() + "/dt=2026-01-02-03-04/from-s3.jsonl";
        String content = "{\"account_id\":\"e-1\",\"domain\":\"one.com\",\"account_properties\":{}}\n";
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key), RequestBody.fromString(content));
        // What S3 sends when a notification configuration is saved: no Records.
        send("{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\",\"Time\":\"2026-11-26T10:00:00.000Z\","
                + "\"Bucket\":\"" + app.settings().inboxBucket() + "\",\"RequestId\":\"5582815E1AEA5ADF\"}");
        // An event for another bucket announces nothing.
        send(s3Event("other-bucket", key, 10));
        // An AWS S3 event: the key URL-encoded ('=' as %3D), as S3 writes it.
        send(s3Event(key, content.length()).replace(key, key.replace("=", "%3D")));

        JsonNode status = client.awaitFinal(tenant.key(), key, Duration.ofSeconds(30));

        assertThat(status.get("state").asText()).isEqualTo("completed");
        assertThat(status.get("records_accepted").asLong()).isEqualTo(1);
        awaitQueueDrained();
        awaitNothingLeft(key);
    }

    /** Bodies that cannot name a file (anyone allowed to send to the queue may send them) are dropped, not retried. */
    @Test
    void messagesThatCannotNameAFileAreDroppedAtOnce() {
        Tenant tenant = app.newTenant("poison");
        String key = "data/tenants/objects/contact/source_system=crm/tenant=" + tenant.id() + "/dt=2026-01-02-03-04/after.jsonl";
        List<String> ids = putContacts(key, "po", 2);
        send(s3Event(key, 100).replace("\"size\":100", "\"size\":1e2147483648"));
        send(s3Event(key.replace("after.jsonl", "bad%zzescape.jsonl"), 100));
        send(s3Event(key, 160));

        assertThat(client.awaitFinal(tenant.key(), key, Duration.ofSeconds(30)).get("state").asText()).isEqualTo("completed");
        awaitQueueDrained();
        assertThat(Lake.values(Lake.records(app.s3(), lake(), "contact/tenant=" + tenant.id() + "/"), "contact_id"))
                .containsExactlyInAnyOrderElementsOf(ids);
    }

    /**
     * A confirmation cut short between its copy into the inbox and its delete leaves the upload in landing. The batch
     * that archives the file removes that leftover before the file leaves the inbox: a confirmation of the same upload
     * still under way (a retry, another instance's, a stalled one) then finds nothing to copy, where it once put the
     * processed file back into the inbox and every record reached the lake twice. The file is announced here as S3
     * would announce the copy; the confirmation that wrote it "died" before it announced anything.
     */
    @Test
    void aCutShortConfirmationsLeftoverGoesWithTheFileSoNoLateConfirmationCopiesItAgain() throws Exception {
        Tenant tenant = app.newTenant("leftover");
        JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "lo", 40, 0, true);
        BulkClient.Upload upload = client.uploaded(tenant.key(), "contact_event", file.path());
        String landing = app.settings().landingBucket();
        app.s3().copyObject(b -> b.sourceBucket(landing).sourceKey(upload.fileKey())
                .destinationBucket(app.settings().inboxBucket()).destinationKey(upload.fileKey()));
        send(s3Event(upload.fileKey(), Files.size(file.path())));

        assertThat(client.awaitFinal(tenant.key(), upload.fileKey(), Duration.ofSeconds(30)).get("state").asText())
                .isEqualTo("completed");
        awaitNothingLeft(upload.fileKey());
        assertThat(S3Objects.head(app.s3(), landing, upload.fileKey())).as("the leftover").isEmpty();

        // the late confirmation: nothing to copy, the file stays processed once
        assertThat(client.confirm(tenant.key(), upload.fileKey()).statusCode()).isEqualTo(200);
        assertThat(S3Objects.head(app.s3(), app.settings().inboxBucket(), upload.fileKey())).isEmpty();
        assertThat(client.state(tenant.key(), upload.fileKey())).isEqualTo("completed");
        assertInTheLakeOnce(tenant, file);
    }

    /**
     * A confirmation that finds the file neither in the inbox nor in the archive (an archive lifecycle rule removed it,
     * or the confirmation stalled before the batch archived it) but its status final copies nothing: it once wrote
     * "queued" over the final status and processed the file again. A file PUT to the still valid URL since, of
     * another size or of the same size, is refused as it is while the archive holds the file.
     */
    @Test
    void aConfirmationOfAFileAlreadyProcessedCopiesNothing() throws Exception {
        Tenant tenant = app.newTenant("processed");
        JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "pr", 40, 0, true);
        BulkClient.Upload upload = client.uploaded(tenant.key(), "contact_event", file.path());
        assertThat(client.confirm(tenant.key(), upload.fileKey()).statusCode()).isEqualTo(200);
        JsonNode processed = client.awaitFinal(tenant.key(), upload.fileKey(), Duration.ofSeconds(30));
        assertThat(processed.get("state").asText()).isEqualTo("completed");
        awaitNothingLeft(upload.fileKey());
        String landing = app.settings().landingBucket();
        app.s3().deleteObject(b -> b.bucket(app.settings().archiveBucket()).key(upload.fileKey()));

        assertThat(client.confirm(tenant.key(), upload.fileKey()).statusCode()).isEqualTo(200);
        assertThat(client.state(tenant.key(), upload.fileKey())).isEqualTo("completed");

        JsonlFiles.Generated other = JsonlFiles.contactEvents(dir, "other", 77, 0, true);
        assertThat(client.put(upload.uploadUrl(), other.path())).isEqualTo(200);
        assertThat(client.confirm(tenant.key(), upload.fileKey()).statusCode()).isEqualTo(409);
        // S3 dates objects to the second: the same-size file is stored a second after the confirmation at least
        Instant confirmed = Instant.parse(processed.get("confirmed_at").asText());
        Await.until("a second past the confirmation", Duration.ofSeconds(5),
                () -> Instant.now().isAfter(confirmed.plusMillis(1_100)));
        byte[] sameSize = Files.readAllBytes(file.path());
        sameSize[sameSize.length / 2] ^= 1;
        Path changed = Files.write(dir.resolve("changed.jsonl.gz"), sameSize);
        assertThat(client.put(upload.uploadUrl(), changed)).isEqualTo(200);
        assertThat(client.confirm(tenant.key(), upload.fileKey()).statusCode()).isEqualTo(409);

        assertThat(client.state(tenant.key(), upload.fileKey())).isEqualTo("completed");
        assertThat(S3Objects.head(app.s3(), app.settings().inboxBucket(), upload.fileKey())).isEmpty();
        assertThat(S3Objects.head(app.s3(), landing, upload.fileKey())).isEmpty();
        assertInTheLakeOnce(tenant, file);
    }

    /**
     * A key as long as the layout allows (another system's; up to 312 characters) is processed and listed like any: its
     * upload-list entry was one file name past the embedded S3's 255 bytes, every status write failed with a 500, and
     * its batch was retried for ever (a sibling file marked failed meanwhile).
     */
    @Test
    void theLongestKeyTheLayoutAllowsIsProcessedAndListed() throws Exception {
        String id = "long-" + UUID.randomUUID().toString().replace("-", "");
        Tenant tenant = app.tenant(id + "x".repeat(64 - id.length()));
        String key = "data/tenants/objects/account_event/source_system=" + "s".repeat(32) + "/tenant=" + tenant.id()
                + "/dt=2026-01-02-03-04/" + "n".repeat(128) + ".ndjson";
        assertThat(key).hasSize(309);
        String line = "{\"event_id\":\"l-1\",\"account_id\":\"a-1\",\"event\":\"x\",\"event_timestamp\":"
                + "\"2026-01-02T03:04:05Z\",\"event_properties\":{}}\n";
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key), RequestBody.fromString(line));
        send(s3Event(key, line.length()));

        JsonNode status = client.awaitFinal(tenant.key(), key, Duration.ofSeconds(30));
        assertThat(status.get("state").asText()).as(status.toString()).isEqualTo("completed");
        JsonNode listed = io.inlet.Json.mapper().readTree(app.get("/ingestion/uploads", tenant.key()).body());
        assertThat(listed.get("uploads")).hasSize(1);
        assertThat(listed.get("uploads").get(0).get("file_key").asText()).isEqualTo(key);
        awaitNothingLeft(key);
    }

    @Test
    void anSnsWrappedNotificationIsRead() {
        Tenant tenant = app.newTenant("sns");
        String key = "data/tenants/objects/contact/source_system=crm/tenant=" + tenant.id() + "/dt=2026-01-02-03-04/sns.jsonl";
        List<String> ids = putContacts(key, "sn", 3);
        String wrapped = "{\"Type\":\"Notification\",\"MessageId\":\"m-1\",\"TopicArn\":\"arn:aws:sns:us-east-1:1:inbox\","
                + "\"Message\":" + quote(s3Event(key, 240)) + "}";
        send(wrapped);

        assertThat(client.awaitFinal(tenant.key(), key, Duration.ofSeconds(30)).get("state").asText()).isEqualTo("completed");
        assertThat(Lake.values(Lake.records(app.s3(), lake(), "contact/tenant=" + tenant.id() + "/"), "contact_id"))
                .containsExactlyInAnyOrderElementsOf(ids);
    }

    @Test
    void uploadJsonAnnouncesItsOwnWrites() throws Exception {
        Tenant tenant = app.newTenant("own");
        var response = app.post("/ingestion/upload-json", tenant.key(),
                "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"o-1\",\"email\":\"o@acme.com\",\"contact_properties\":{}}]}");
        assertThat(response.statusCode()).isEqualTo(200);
        String fileKey = io.inlet.Json.mapper().readTree(response.body()).get("file_key").asText();

        assertThat(client.awaitFinal(tenant.key(), fileKey, Duration.ofSeconds(30)).get("state").asText()).isEqualTo("completed");
        awaitNothingLeft(fileKey);
    }

    /** The tenant's contact events in the lake are the file's valid ones, each once. */
    private static void assertInTheLakeOnce(Tenant tenant, JsonlFiles.Generated file) {
        assertThat(Lake.values(Lake.records(app.s3(), lake(), "contact_event/tenant=" + tenant.id() + "/"), "event_id"))
                .containsExactlyInAnyOrderElementsOf(file.validIds());
    }

    private List<String> putContacts(String key, String prefix, int count) {
        List<String> ids = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++) {
            String id = prefix + "-" + i;
            ids.add(id);
            text.append("{\"contact_id\":\"").append(id).append("\",\"email\":\"").append(id)
                    .append("@acme.com\",\"contact_properties\":{}}\n");
        }
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key),
                RequestBody.fromString(text.toString(), StandardCharsets.UTF_8));
        return ids;
    }

    private static String s3Event(String key, long size) {
        return s3Event(app.settings().inboxBucket(), key, size);
    }

    /** The shape S3 sends to SQS (trimmed to what a reader may rely on). */
    static String s3Event(String bucket, String key, long size) {
        return "{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"awsRegion\":\"us-east-1\","
                + "\"eventTime\":\"2026-11-26T10:00:00.000Z\",\"eventName\":\"ObjectCreated:Put\","
                + "\"s3\":{\"s3SchemaVersion\":\"1.0\",\"configurationId\":\"inlet-inbox\","
                + "\"bucket\":{\"name\":\"" + bucket + "\",\"arn\":\"arn:aws:s3:::" + bucket + "\"},"
                + "\"object\":{\"key\":\"" + key + "\",\"size\":" + size + ",\"eTag\":\"0123456789abcdef\","
                + "\"sequencer\":\"0055AED6DCD90281E5\"}}}]}";
    }

    private static String quote(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static void send(String body) {
        sqs.sendMessage(b -> b.queueUrl(queueUrl).messageBody(body));
    }

    /** Every message, the test event's too, is acknowledged (deleted), none left waiting or in flight. */
    private static void awaitQueueDrained() {
        Await.until("the queue is empty", Duration.ofSeconds(30), () -> {
            Map<QueueAttributeName, String> attributes = sqs.getQueueAttributes(b -> b.queueUrl(queueUrl)
                    .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                            QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).attributes();
            return attributes.values().stream().allMatch("0"::equals);
        });
    }

    /** The file left the inbox, its claim was released, and no batch is pending. */
    private static void awaitNothingLeft(String key) {
        Await.until("inbox object, claim and manifests gone", Duration.ofSeconds(30), () ->
                app.s3().listObjectsV2(b -> b.bucket(app.settings().inboxBucket()).prefix(key)).keyCount() == 0
                        && app.s3().listObjectsV2(b -> b.bucket(lake()).prefix(LakeKeys.claim(key))).keyCount() == 0
                        && Lake.unfinishedBatches(app.s3(), lake()).isEmpty());
    }

    private static String lake() {
        return app.settings().lakeBucket();
    }
}

package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Json;
import io.inlet.UnicodeText;
import io.inlet.storage.FileKey;
import io.inlet.storage.S3Objects;
import io.inlet.testing.BulkClient;
import io.inlet.testing.GzipMembers;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.Lake;
import io.inlet.testing.ZipFiles;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * The pipeline, whoever writes into the inbox: upload-json traffic, and other systems writing keys directly, zip
 * archives included (each JSONL entry read into the same lake under the archive's one status; dropped ones:
 * {@code DropFolderTest}).
 */
class InboxPipelineTest {

    static InletApp app;
    static BulkClient client;
    final ObjectMapper json = Json.mapper();

    @TempDir
    Path files;

    @BeforeAll
    static void start() {
        app = InletApp.shared();
        client = new BulkClient(app.baseUrl());
    }

    @Test
    void uploadJsonBatchesReachTheLakeCombinedInFewerPartFiles() throws IOException {
        Tenant tenant = app.newTenant("combined");
        NotifyBuilder processed = new NotifyBuilder(app.camel()).fromRoute("small-batches").whenCompleted(1).create();
        List<String> fileKeys = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int request = 0; request < 20; request++) {
            StringBuilder body = new StringBuilder("{\"stream\":\"contact\",\"data\":[");
            for (int i = 0; i < 5; i++) {
                String id = "c-" + request + "-" + i;
                ids.add(id);
                body.append(i == 0 ? "" : ",").append("{\"contact_id\":\"").append(id)
                        .append("\",\"email\":\"").append(id).append("@acme.com\",\"contact_properties\":{\"n\":").append(i).append("}}");
            }
            HttpResponse<String> response = app.post("/ingestion/upload-json", tenant.key(), body.append("]}").toString());
            assertThat(response.statusCode()).isEqualTo(200);
            fileKeys.add(json.readTree(response.body()).get("file_key").asText());
        }

        assertThat(processed.matches(30, TimeUnit.SECONDS)).isTrue();
        for (String fileKey : fileKeys) {
            assertThat(client.awaitFinal(tenant.key(), fileKey, Duration.ofSeconds(30)).get("state").asText()).isEqualTo("completed");
        }
        String prefix = "contact/tenant=" + tenant.id() + "/";
        assertThat(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(), prefix), "contact_id"))
                .containsExactlyInAnyOrderElementsOf(ids);
        // Contacts are partitioned by the day they were received (the dt of their file key).
        String day = FileKey.parse(fileKeys.get(0)).orElseThrow().receivedDate().toString();
        List<String> parts = Lake.partKeys(app.s3(), app.settings().lakeBucket(), prefix);
        assertThat(parts).allMatch(k -> k.startsWith(prefix + "dt=" + day + "/") || k.contains("/dt=" + LocalDate.parse(day).plusDays(1)));
        assertThat(parts.size()).as("20 requests, combined").isLessThan(20);
    }

    @Test
    void filesWrittenStraightIntoTheInboxByAnotherSystemAreProcessed() throws IOException {
        Tenant tenant = app.newTenant("writer");
        String key = "data/tenants/objects/account/source_system=crm-export/tenant=" + tenant.id()
                + "/dt=2025-01-31-23-59/nightly.ndjson";
        String content = String.join("\r\n",
                "{\"account_id\":\"a-1\",\"domain\":\"one.com\",\"account_properties\":{}}",
                "",
                "   ",
                "{\"account_id\":\"a-2\",\"domain\":\"https://two.com\",\"account_properties\":{}}",
                "{\"account_id\":\"a-3\",\"domain\":\"three.com\",\"account_properties\":{}} trailing",
                "{\"account_id\":\"a-4\",\"domain\":\"four.com\",\"account_properties\":{},\"account_properties\":{}}",
                "{\"account_id\":\"a-5\",\"domain\":\"five.com\",\r\"account_properties\":{\"x\":\"\u00e9\"}}");
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key),
                RequestBody.fromString(content, StandardCharsets.UTF_8));

        JsonNode status = client.awaitFinal(tenant.key(), key, Duration.ofSeconds(30));

        assertThat(status.get("state").asText()).isEqualTo("completed_with_errors");
        assertThat(status.get("records_accepted").asLong()).isEqualTo(2);
        assertThat(status.get("records_rejected").asLong()).isEqualTo(3);
        List<JsonNode> rejected = Lake.gzipJsonLines(app.s3(), app.settings().lakeBucket(), status.get("rejected_key").asText());
        assertThat(rejected).extracting(r -> r.get("line").asLong()).containsExactly(4L, 5L, 6L);
        assertThat(rejected.get(0).get("errors").get(0).get("pointer").asText()).isEqualTo("/domain");
        assertThat(rejected.get(1).get("errors").get(0).get("message").asText()).startsWith("malformed JSON at column");
        assertThat(rejected.get(2).get("errors").get(0).get("message").asText()).contains("Duplicate field 'account_properties'");
        // Accounts from a file received on 2025-01-31 land in that day's partition, exactly as sent.
        List<JsonNode> lake = Lake.records(app.s3(), app.settings().lakeBucket(), "account/tenant=" + tenant.id() + "/dt=2025-01-31/");
        assertThat(Lake.values(lake, "account_id")).containsExactlyInAnyOrder("a-1", "a-5");
        assertThat(lake).anyMatch(r -> r.get("account_properties").path("x").asText().equals("\u00e9"));
        // the CR between two fields of a-5 is whitespace, stored as a space: a reader's lone-CR line end would cut it
        assertThat(Lake.lines(app.s3(), app.settings().lakeBucket(), "account/tenant=" + tenant.id() + "/"))
                .contains("{\"account_id\":\"a-5\",\"domain\":\"five.com\", \"account_properties\":{\"x\":\"\u00e9\"}}")
                .noneMatch(line -> line.contains("\r"));
        // gzip files, not JSONL sent gzip-encoded: HTTP clients (curl --compressed, browsers, DuckDB's) would undo a
        // Content-Encoding and hand readers plain text under a .gz name
        List<String> written = new ArrayList<>(Lake.partKeys(app.s3(), app.settings().lakeBucket(), "account/tenant=" + tenant.id() + "/"));
        written.add(status.get("rejected_key").asText());
        for (String object : written) {
            HeadObjectResponse head = app.s3().headObject(b -> b.bucket(app.settings().lakeBucket()).key(object));
            assertThat(head.contentType()).as(object).isEqualTo("application/gzip");
            assertThat(head.contentEncoding()).as(object).isNull();
        }
    }

    @Test
    void recordsThatAreNotValidUnicodeAreRejectedNamingTheFieldAndNeverReachTheLake() throws IOException {
        Tenant tenant = app.newTenant("notutf8");
        String key = "data/tenants/objects/contact/source_system=crm-export/tenant=" + tenant.id()
                + "/dt=2025-02-01-00-00/legacy.jsonl";
        // line 2: an encoded UTF-16 surrogate (CESU-8, as some older exporters write), line 3: an overlong "/"
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        content.writeBytes("{\"contact_id\":\"u-1\",\"email\":\"ok@acme.com\",\"contact_properties\":{\"city\":\"Zürich\"}}\n"
                .getBytes(StandardCharsets.UTF_8));
        content.writeBytes("{\"contact_id\":\"u-2\",\"email\":\"x@acme.com\",\"contact_properties\":{\"note\":\"a".getBytes(StandardCharsets.UTF_8));
        content.writeBytes(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80});
        content.writeBytes("\"}}\n{\"contact_id\":\"u-3".getBytes(StandardCharsets.UTF_8));
        content.writeBytes(new byte[] {(byte) 0xC0, (byte) 0xAF});
        content.writeBytes("\",\"email\":\"y@acme.com\",\"contact_properties\":{}}\n".getBytes(StandardCharsets.UTF_8));
        // line 4: half an escaped surrogate pair (yyjson, so DuckDB, refuses it); line 5: a whole pair, kept
        content.writeBytes(("{\"contact_id\":\"u-4\",\"email\":\"z@acme.com\",\"contact_properties\":{\"emoji\":\"\\uD83D\"}}\n"
                + "{\"contact_id\":\"u-5\",\"email\":\"w@acme.com\",\"contact_properties\":{\"emoji\":\"\\uD83D\\uDE00\"}}\n")
                .getBytes(StandardCharsets.UTF_8));
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key), RequestBody.fromBytes(content.toByteArray()));

        JsonNode status = client.awaitFinal(tenant.key(), key, Duration.ofSeconds(30));

        assertThat(status.get("state").asText()).isEqualTo("completed_with_errors");
        assertThat(status.get("records_accepted").asLong()).isEqualTo(2);
        List<JsonNode> rejected = Lake.gzipJsonLines(app.s3(), app.settings().lakeBucket(), status.get("rejected_key").asText());
        assertThat(rejected).extracting(r -> r.get("line").asLong()).containsExactly(2L, 3L, 4L);
        assertThat(rejected.get(0).get("errors").get(0).get("pointer").asText()).isEqualTo("/contact_properties/note");
        assertThat(rejected.get(0).get("errors").get(0).get("message").asText()).isEqualTo("is not valid Unicode at byte 73"
                + " of the line: bytes ED A0 80 are not UTF-8 (an encoded UTF-16 surrogate, U+D800 to U+DFFF); JSON text must be UTF-8");
        assertThat(rejected.get(1).get("errors").get(0).get("pointer").asText()).isEqualTo("/contact_id");
        assertThat(rejected.get(1).get("errors").get(0).get("message").asText()).contains("bytes C0 AF")
                .contains("(an overlong encoding)");
        assertThat(rejected.get(2).get("errors").get(0).get("pointer").asText()).isEqualTo("/contact_properties/emoji");
        assertThat(rejected.get(2).get("errors").get(0).get("message").asText())
                .contains("\\uD83D is half of a UTF-16 surrogate pair");
        // what did reach the lake decodes strictly, and keeps its real non-ASCII text
        String prefix = "contact/tenant=" + tenant.id() + "/";
        for (String part : Lake.partKeys(app.s3(), app.settings().lakeBucket(), prefix)) {
            byte[] bytes = Lake.gunzipped(app.s3(), app.settings().lakeBucket(), part);
            assertThat(UnicodeText.firstFlaw(bytes, 0, bytes.length)).as(part).isNull();
        }
        assertThat(Lake.records(app.s3(), app.settings().lakeBucket(), prefix))
                .extracting(r -> r.get("contact_properties").path("city").asText()
                        + r.get("contact_properties").path("emoji").asText())
                .containsExactlyInAnyOrder("Zürich", "\uD83D\uDE00");
    }

    /**
     * 1e2147483648 is grammatical JSON whose exponent no decimal can hold: reading it throws, and it once failed the
     * whole batch, with every other file in it (another tenant's too), until the attempts ran out.
     */
    @Test
    void aNumberNoReaderCanHoldRejectsItsLineNotTheBatch() throws IOException {
        Tenant tenant = app.newTenant("exponent");
        Tenant other = app.newTenant("beside");
        String key = "data/tenants/objects/contact/source_system=crm-export/tenant=" + tenant.id()
                + "/dt=2025-02-01-00-00/exponent.jsonl";
        String besideKey = "data/tenants/objects/contact/source_system=crm-export/tenant=" + other.id()
                + "/dt=2025-02-01-00-00/beside.jsonl";
        String content = "{\"contact_id\":\"e-1\",\"email\":\"ok@acme.com\",\"contact_properties\":{}}\n"
                + "{\"contact_id\":\"e-2\",\"email\":\"x@acme.com\",\"contact_properties\":{\"x\":1e2147483648}}\n"
                + "{\"contact_id\":\"e-3\",\"email\":\"y@acme.com\",\"contact_properties\":{\"y\":-1e-2147483649}}\n"
                + "{\"contact_id\":\"e-4\",\"email\":\"z@acme.com\",\"contact_properties\":{\"z\":" + "7".repeat(1001) + "}}\n";
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key), RequestBody.fromString(content));
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(besideKey), RequestBody.fromString(
                "{\"contact_id\":\"b-1\",\"email\":\"b@acme.com\",\"contact_properties\":{}}\n"));

        JsonNode status = client.awaitFinal(tenant.key(), key, Duration.ofSeconds(30));
        JsonNode beside = client.awaitFinal(other.key(), besideKey, Duration.ofSeconds(30));

        assertThat(status.get("state").asText()).isEqualTo("completed_with_errors");
        assertThat(status.get("records_accepted").asLong()).isEqualTo(1);
        assertThat(beside.get("state").asText()).isEqualTo("completed");
        List<JsonNode> rejected = Lake.gzipJsonLines(app.s3(), app.settings().lakeBucket(), status.get("rejected_key").asText());
        assertThat(rejected).extracting(r -> r.get("line").asLong()).containsExactly(2L, 3L, 4L);
        assertThat(rejected.get(0).get("errors").get(0).get("pointer").asText()).isEqualTo("/contact_properties/x");
        assertThat(rejected.get(0).get("errors").get(0).get("message").asText())
                .isEqualTo("the number 1e2147483648 is out of range (its exponent must be within ±2147483647)");
        assertThat(rejected.get(1).get("errors").get(0).get("pointer").asText()).isEqualTo("/contact_properties/y");
        assertThat(rejected.get(2).get("errors").get(0).get("pointer").asText()).isEqualTo("/contact_properties/z");
        assertThat(rejected.get(2).get("errors").get(0).get("message").asText())
                .isEqualTo("has a number of 1001 digits, more than the 1000 a record may have");
    }

    @Test
    void anUnreadableFileAmongOthersFailsAloneAndTheOthersKeepTheirLakeKeys() throws IOException {
        Tenant tenant = app.newTenant("among");
        String prefix = "data/tenants/objects/contact/source_system=crm-export/tenant=" + tenant.id() + "/dt=2025-03-01-00-00/";
        List<String> keys = List.of(prefix + "a.jsonl.gz", prefix + "b.jsonl.gz", prefix + "c.jsonl.gz", prefix + "d.jsonl.gz");
        List<List<String>> ids = new ArrayList<>();
        for (int file = 0; file < keys.size(); file++) {
            List<String> fileIds = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 50; i++) {
                String id = "c-" + file + "-" + i;
                fileIds.add(id);
                text.append("{\"contact_id\":\"").append(id).append("\",\"email\":\"").append(id)
                        .append("@acme.com\",\"contact_properties\":{}}\n");
            }
            ids.add(fileIds);
            byte[] gz = GzipMembers.gzip(text.toString().getBytes(StandardCharsets.UTF_8));
            // the second file is cut short: a truncated gzip
            byte[] stored = file == 1 ? java.util.Arrays.copyOf(gz, gz.length / 2) : gz;
            String key = keys.get(file);
            app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key), RequestBody.fromBytes(stored));
        }

        List<JsonNode> statuses = new ArrayList<>();
        for (String key : keys) {
            statuses.add(client.awaitFinal(tenant.key(), key, Duration.ofSeconds(30)));
        }

        assertThat(statuses.get(1).get("state").asText()).isEqualTo("failed");
        assertThat(statuses.get(1).get("failure_reason").asText()).contains("truncated gzip");
        for (int file : new int[] {0, 2, 3}) {
            JsonNode status = statuses.get(file);
            assertThat(status.get("state").asText()).as(keys.get(file)).isEqualTo("completed");
            List<JsonNode> inItsParts = new ArrayList<>();
            status.get("lake_keys").forEach(k -> inItsParts.addAll(Lake.gzipJsonLines(app.s3(), app.settings().lakeBucket(), k.asText())));
            assertThat(Lake.values(inItsParts, "contact_id")).as("records in the parts %s names", keys.get(file))
                    .containsAll(ids.get(file));
        }
        List<String> expected = new ArrayList<>(ids.get(0));
        expected.addAll(ids.get(2));
        expected.addAll(ids.get(3));
        assertThat(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(), "contact/tenant=" + tenant.id() + "/"),
                "contact_id")).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void aGzipOfManySmallMembersIsReadToItsLastRecord() {
        Tenant tenant = app.newTenant("members");
        String key = "data/tenants/objects/contact/source_system=crm-export/tenant=" + tenant.id()
                + "/dt=2025-03-01-00-00/mm.jsonl.gz";
        List<String> ids = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 3_000; i++) {
            String id = "mm-" + i;
            ids.add(id);
            text.append("{\"contact_id\":\"").append(id).append("\",\"email\":\"").append(id)
                    .append("@acme.com\",\"contact_properties\":{\"n\":").append(i).append("}}\n");
        }
        // for f in part.*; do gzip -c $f; done > mm.jsonl.gz, with parts of 2 lines
        GzipMembers.File gz = GzipMembers.everyLines(text.toString().getBytes(StandardCharsets.UTF_8), 2);
        assertThat(gz.members()).isEqualTo(1_500);
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key), RequestBody.fromBytes(gz.bytes()));

        JsonNode status = client.awaitFinal(tenant.key(), key, Duration.ofSeconds(60));

        assertThat(status.get("state").asText()).isEqualTo("completed");
        assertThat(status.get("records_accepted").asLong()).isEqualTo(3_000);
        assertThat(status.get("records_rejected").asLong()).isZero();
        List<String> lake = Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(), "contact/tenant=" + tenant.id() + "/"),
                "contact_id");
        assertThat(Lake.sorted(lake)).as("every id once").isEqualTo(Lake.sorted(ids));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aByteOrderMarkNeverReachesTheLake(boolean gzip) {
        Tenant tenant = app.newTenant("bom");
        String key = "data/tenants/objects/contact/source_system=excel/tenant=" + tenant.id() + "/dt=2025-03-02-00-00/bom.jsonl"
                + (gzip ? ".gz" : "");
        List<String> ids = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (int file = 0; file < 2; file++) {
            // cat a.jsonl b.jsonl, each saved with a BOM: the second BOM lands at the start of a line mid-file.
            text.append('\uFEFF');
            for (int i = 0; i < 3; i++) {
                String id = "bom-" + file + "-" + i;
                ids.add(id);
                text.append("{\"contact_id\":\"").append(id).append("\",\"email\":\"").append(id)
                        .append("@acme.com\",\"contact_properties\":{}}\r\n");
            }
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key),
                RequestBody.fromBytes(gzip ? GzipMembers.gzip(bytes) : bytes));

        JsonNode status = client.awaitFinal(tenant.key(), key, Duration.ofSeconds(30));

        assertThat(status.get("state").asText()).isEqualTo("completed");
        assertThat(status.get("records_accepted").asLong()).isEqualTo(6);
        String lake = app.settings().lakeBucket();
        List<String> parts = Lake.partKeys(app.s3(), lake, "contact/tenant=" + tenant.id() + "/");
        assertThat(parts).isNotEmpty();
        for (String part : parts) {
            String content = new String(Lake.gunzipped(app.s3(), lake, part), StandardCharsets.UTF_8);
            assertThat(content).as(part).doesNotContain("\uFEFF").startsWith("{\"contact_id\"");
        }
        assertThat(Lake.values(Lake.records(app.s3(), lake, "contact/tenant=" + tenant.id() + "/"), "contact_id"))
                .containsExactlyInAnyOrderElementsOf(ids);
    }

    @Test
    void anOversizedLineIsRejectedAndTheRestOfTheFileIsKept() throws IOException {
        Tenant tenant = app.newTenant("longline");
        String key = "data/tenants/objects/contact/source_system=dataapi/tenant=" + tenant.id() + "/dt=2025-02-01-00-00/long.jsonl";
        String longLine = "{\"contact_id\":\"big\",\"email\":\"big@acme.com\",\"contact_properties\":{\"blob\":\""
                + "x".repeat(2 * 1024 * 1024) + "\"}}";
        String content = "{\"contact_id\":\"before\",\"email\":\"b@acme.com\",\"contact_properties\":{}}\n" + longLine
                + "\n{\"contact_id\":\"after\",\"email\":\"a@acme.com\",\"contact_properties\":{}}";
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key), RequestBody.fromString(content));

        JsonNode status = client.awaitFinal(tenant.key(), key, Duration.ofSeconds(30));

        assertThat(status.get("records_accepted").asLong()).isEqualTo(2);
        assertThat(status.get("records_rejected").asLong()).isEqualTo(1);
        assertThat(status.get("first_rejections").get(0).get("message").asText()).contains("over the limit of 1048576 bytes");
        JsonNode rejected = Lake.gzipJsonLines(app.s3(), app.settings().lakeBucket(), status.get("rejected_key").asText()).get(0);
        assertThat(rejected.get("line").asLong()).isEqualTo(2);
        assertThat(rejected.get("raw").asText()).hasSize(4096).startsWith("{\"contact_id\":\"big\"");
        assertThat(rejected.get("raw_truncated").asBoolean()).isTrue();
    }

    @Test
    void anInboxObjectThatIsNotAFileKeyIsLeftAlone() throws Exception {
        Tenant tenant = app.newTenant("beside");
        String key = "exports/random-" + System.nanoTime() + ".csv";
        // the layout's shape, but no day: once read as a file of the tenant, its batch failed whole, others' files in it
        String noDay = "data/tenants/objects/contact/source_system=crm/tenant=" + tenant.id() + "/dt=2025-02-30-00-00/x.jsonl";
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key), RequestBody.fromString("a,b\n"));
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(noDay), RequestBody.fromString(
                "{\"contact_id\":\"2\",\"email\":\"b@acme.com\",\"contact_properties\":{}}\n"));
        String fileKey = json.readTree(app.post("/ingestion/upload-json", tenant.key(),
                "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"1\",\"email\":\"a@acme.com\",\"contact_properties\":{}}]}")
                .body()).get("file_key").asText();

        // Files beside them are processed; they stay where they were, unread and unmoved.
        assertThat(client.awaitFinal(tenant.key(), fileKey, Duration.ofSeconds(30)).get("state").asText()).isEqualTo("completed");
        assertThat(app.get("/ingestion/uploads/status?file_key=" + noDay, tenant.key()).statusCode()).isEqualTo(404);
        for (String left : List.of(key, noDay)) {
            assertThat(S3Objects.head(app.s3(), app.settings().inboxBucket(), left)).as(left).isPresent();
            assertThat(S3Objects.head(app.s3(), app.settings().archiveBucket(), left)).as(left).isEmpty();
        }
    }

    @Test
    void aZipWrittenIntoTheInboxNamesTheEntryAndLineOfEachRejectedRecord() throws IOException {
        Tenant tenant = app.newTenant("zipinbox");
        JsonlFiles.Generated first = JsonlFiles.contactEvents(files, "first", 100, 0, false);
        JsonlFiles.Generated second = JsonlFiles.contactEvents(files, "second", 100, 10, false);
        byte[] zip = ZipFiles.builder()
                .deflated("first.jsonl", Files.readAllBytes(first.path()))
                .deflated("second.jsonl", Files.readAllBytes(second.path()))
                .bytes();

        String key = intoTheInbox(tenant, "export.zip", RequestBody.fromBytes(zip));

        JsonNode status = client.awaitFinal(tenant.key(), key, Duration.ofSeconds(30));
        assertThat(status.get("state").asText()).isEqualTo("completed_with_errors");
        assertThat(status.get("records_accepted").asLong()).isEqualTo(190);
        assertThat(status.get("records_rejected").asLong()).isEqualTo(10);
        JsonNode firstRejection = status.get("first_rejections").get(0);
        assertThat(firstRejection.get("entry").asText()).isEqualTo("second.jsonl");
        assertThat(firstRejection.get("line").asLong()).isEqualTo(10);
        assertThat(firstRejection.get("pointer").asText()).isEqualTo("/contact_id");
        List<JsonNode> rejected = Lake.gzipJsonLines(app.s3(), app.settings().lakeBucket(), status.get("rejected_key").asText());
        assertThat(rejected).extracting(r -> r.get("entry").asText()).containsOnly("second.jsonl");
        assertThat(rejected).extracting(r -> r.get("line").asLong()).containsExactlyElementsOf(second.invalidLines());
        assertThat(eventIdsInTheLake(tenant)).isEqualTo(JsonlFiles.sortedValidIds(first, second));
    }

    @Test
    void entriesThatAreNotJsonlAreRefusedByNameWhileTheOthersAreRead() throws IOException {
        Tenant tenant = app.newTenant("zipmixed");
        JsonlFiles.Generated good = JsonlFiles.contactEvents(files, "good", 50, 0, false);
        byte[] zip = ZipFiles.builder()
                .deflated("notes.txt", "exported from the CRM on Monday\n")
                .deflated("good.jsonl", Files.readAllBytes(good.path()))
                .deflated("more.zip", ZipFiles.builder().deflated("x.jsonl", "{}\n").bytes())
                .bytes();

        String key = intoTheInbox(tenant, "mixed.zip", RequestBody.fromBytes(zip));

        JsonNode status = client.awaitFinal(tenant.key(), key, Duration.ofSeconds(30));
        assertThat(status.get("state").asText()).isEqualTo("completed_with_errors");
        assertThat(status.get("records_accepted").asLong()).isEqualTo(50);
        assertThat(status.get("records_rejected").asLong()).isZero();
        assertThat(status.get("entries_read").asLong()).isEqualTo(1);
        assertThat(status.get("entries_refused").asLong()).isEqualTo(2);
        JsonNode refused = status.get("refused_entries");
        assertThat(refused.get(0).get("entry").asText()).isEqualTo("notes.txt");
        assertThat(refused.get(0).get("reason").asText()).startsWith("not a JSONL file");
        assertThat(refused.get(1).get("entry").asText()).isEqualTo("more.zip");
        assertThat(refused.get(1).get("reason").asText()).startsWith("a zip inside the archive is not read");
        assertThat(eventIdsInTheLake(tenant)).isEqualTo(JsonlFiles.sortedValidIds(good));
    }

    @Test
    void aZipBombFailsWithTheReasonAndLeavesNothingInTheLake() {
        Tenant tenant = app.newTenant("zipbomb");
        // 70 MB of zeros deflate to about 70 KB: a thousand times, five times the ratio allowed
        Path bomb = ZipFiles.zeros(files.resolve("bomb.zip"), "bomb.jsonl", 70L << 20);

        String key = intoTheInbox(tenant, "bomb.zip", RequestBody.fromFile(bomb));

        JsonNode status = client.awaitFinal(tenant.key(), key, Duration.ofSeconds(30));
        assertThat(status.get("state").asText()).isEqualTo("failed");
        assertThat(status.get("failure_reason").asText())
                .isEqualTo("refused as a zip bomb: entry 'bomb.jsonl' inflates more than 200 times its compressed size");
        assertThat(eventIdsInTheLake(tenant)).isEmpty();
    }

    @Test
    void aCorruptOrTruncatedZipFailsWithTheReason() {
        Tenant tenant = app.newTenant("zipbroken");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            lines.append("{\"event_id\":\"e-").append(i).append("\"}\n");
        }
        byte[] zip = ZipFiles.builder().deflated("a.jsonl", lines.toString()).bytes();
        byte[] truncated = Arrays.copyOf(zip, zip.length / 2);
        byte[] corrupt = zip.clone();
        for (int i = 40; i < 60; i++) {
            corrupt[i] ^= 0x5a; // inside the compressed data of the one entry
        }

        String truncatedKey = intoTheInbox(tenant, "truncated.zip", RequestBody.fromBytes(truncated));
        String corruptKey = intoTheInbox(tenant, "corrupt.zip", RequestBody.fromBytes(corrupt));

        JsonNode cut = client.awaitFinal(tenant.key(), truncatedKey, Duration.ofSeconds(30));
        JsonNode broken = client.awaitFinal(tenant.key(), corruptKey, Duration.ofSeconds(30));
        assertThat(cut.get("state").asText()).isEqualTo("failed");
        assertThat(cut.get("failure_reason").asText()).startsWith("truncated zip: the archive ends inside entry 'a.jsonl'");
        assertThat(broken.get("state").asText()).isEqualTo("failed");
        assertThat(broken.get("failure_reason").asText()).startsWith("corrupt zip").contains("entry 'a.jsonl'");
        assertThat(eventIdsInTheLake(tenant)).isEmpty();
    }

    private static List<String> eventIdsInTheLake(Tenant tenant) {
        return Lake.sortedValues(app.s3(), app.settings().lakeBucket(), "contact_event/tenant=" + tenant.id() + "/", "event_id");
    }

    /** Writes a file into the inbox as another system would, under a key of the layout; returns the key. */
    private static String intoTheInbox(Tenant tenant, String name, RequestBody content) {
        String key = "data/tenants/objects/contact_event/source_system=crm-export/tenant=" + tenant.id() + "/dt=2025-06-01-00-00/" + name;
        app.s3().putObject(o -> o.bucket(app.settings().inboxBucket()).key(key), content);
        return key;
    }
}

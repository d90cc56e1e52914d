package io.inlet.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Json;
import io.inlet.schema.Stream;
import io.inlet.storage.FileKey;
import io.inlet.storage.LakeKeys;
import io.inlet.testing.Await;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.JsonlFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/** GET /ingestion/uploads: a tenant's own uploads, however they came in, newest first, a page at a time. */
class UploadListTest {

    private static final ObjectMapper JSON = Json.mapper();
    private static final String ONE_CONTACT =
            "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"c-1\",\"email\":\"jane@acme.com\",\"contact_properties\":{}}]}";

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
    void everyWayInIsListedWithItsCountsNewestFirst() throws IOException {
        Tenant tenant = app.newTenant("list");
        // a presigned upload, confirmed; an upload-json batch; a dropped file; a file another system wrote to the inbox
        BulkClient.Upload presigned = client.requestUrl(tenant.key(), "contact_event");
        JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "presigned", 10, 5, true);
        assertThat(client.put(presigned.uploadUrl(), file.path())).isEqualTo(200);
        assertThat(client.confirm(tenant.key(), presigned.fileKey()).statusCode()).isEqualTo(200);
        String uploadJson = JSON.readTree(app.post("/ingestion/upload-json", tenant.key(), ONE_CONTACT).body())
                .get("file_key").asText();
        Path dropped = Files.createDirectories(app.dropFolder().resolve(tenant.id()).resolve("contact"));
        Files.writeString(dropped.resolve("export.jsonl"), "{\"contact_id\":\"c-2\",\"email\":\"d@acme.com\",\"contact_properties\":{}}\n");
        String foreign = FileKey.create(Stream.CONTACT, "crm", tenant.id(), Instant.now(), false).key();
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(foreign),
                RequestBody.fromString("{\"contact_id\":\"c-3\",\"email\":\"f@acme.com\",\"contact_properties\":{}}\n"));
        BulkClient.Upload unconfirmed = client.requestUrl(tenant.key(), "account");

        Map<String, JsonNode> listed = new TreeMap<>();
        Await.until("all five listed, the four sent ones processed", Duration.ofSeconds(30), () -> {
            listed.clear();
            for (JsonNode upload : page(tenant, "").get("uploads")) {
                listed.put(upload.get("file_key").asText(), upload);
            }
            return listed.size() == 5 && listed.values().stream().filter(u -> u.get("state").asText().startsWith("completed")).count() == 4;
        });
        String dropKey = Files.readString(app.dropFolder().resolve(".done").resolve(tenant.id())
                .resolve("contact/export.jsonl.file_key")).trim();
        assertThat(listed).containsOnlyKeys(presigned.fileKey(), uploadJson, dropKey, foreign, unconfirmed.fileKey());

        JsonNode withErrors = listed.get(presigned.fileKey());
        assertThat(withErrors.get("state").asText()).isEqualTo("completed_with_errors");
        assertThat(withErrors.get("stream").asText()).isEqualTo("contact_event");
        assertThat(withErrors.get("records_accepted").asLong()).isEqualTo(8);
        assertThat(withErrors.get("records_rejected").asLong()).isEqualTo(2);
        assertThat(withErrors.get("bytes_read").asLong()).isEqualTo(withErrors.get("bytes_total").asLong()).isEqualTo(Files.size(file.path()));
        assertThat(listed.get(unconfirmed.fileKey()).get("state").asText()).isEqualTo("awaiting_upload");
        for (JsonNode upload : listed.values()) {
            assertThat(upload.has("created_at") && upload.has("updated_at")).as(upload.toString()).isTrue();
        }
        // newest first by created_at (the dropped file's is its modification time)
        List<Instant> created = new ArrayList<>();
        page(tenant, "").get("uploads").forEach(u -> created.add(Instant.parse(u.get("created_at").asText())));
        assertThat(created).isSortedAccordingTo((a, b) -> b.compareTo(a));
    }

    /** One tenant's many pages at once hold a few turns of the shared status reads, not all of them. */
    @Test
    void aTenantListsAFewPagesAtOnceAndTheRestAreToldToRetry() throws Exception {
        Tenant busy = app.newTenant("list-busy");
        Tenant other = app.newTenant("list-other");
        for (int i = 0; i < 40; i++) {
            client.requestUrl(busy.key(), "contact");
        }
        client.requestUrl(other.key(), "contact");
        java.util.concurrent.ExecutorService senders = java.util.concurrent.Executors.newFixedThreadPool(24);
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<HttpResponse<String>>> pages = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                pages.add(senders.submit(() -> {
                    go.await();
                    return app.get("/ingestion/uploads?limit=200", busy.key());
                }));
            }
            go.countDown();
            int refused = 0;
            for (var page : pages) {
                HttpResponse<String> answer = page.get();
                assertThat(answer.statusCode()).isIn(200, 503);
                if (answer.statusCode() == 503) {
                    refused++;
                    assertThat(answer.headers().firstValue("Retry-After")).hasValue("1");
                    assertThat(answer.body()).contains("at once");
                }
            }
            assertThat(refused).as("pages past the tenant's few at once").isPositive();
        } finally {
            senders.shutdownNow();
        }
        assertThat(app.get("/ingestion/uploads", other.key()).statusCode()).isEqualTo(200);
        assertThat(app.get("/ingestion/uploads", busy.key()).statusCode()).as("its turn again").isEqualTo(200);
    }

    @Test
    void pagesFollowEachOtherUntilTheLastSaysSoAndOtherTenantsNeverShow() {
        Tenant tenant = app.newTenant("pages");
        Tenant other = app.newTenant("pages-other");
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sent.add(0, client.requestUrl(tenant.key(), "contact").fileKey());
            client.requestUrl(other.key(), "contact");
        }

        List<String> paged = new ArrayList<>();
        String cursor = "";
        List<Integer> sizes = new ArrayList<>();
        do {
            JsonNode page = page(tenant, "limit=2" + (cursor.isEmpty() ? "" : "&cursor=" + cursor));
            page.get("uploads").forEach(u -> paged.add(u.get("file_key").asText()));
            sizes.add(page.get("uploads").size());
            cursor = page.get("next_cursor").isNull() ? "" : page.get("next_cursor").asText();
        } while (!cursor.isEmpty());

        assertThat(sizes).containsExactly(2, 2, 1);
        assertThat(paged).isEqualTo(sent);
        assertThat(page(tenant, "").get("uploads")).hasSize(5);
        assertThat(page(tenant, "limit=5").get("next_cursor").isNull()).isTrue();
        assertThat(page(other, "").get("uploads")).hasSize(5).noneMatch(u -> sent.contains(u.get("file_key").asText()));
    }

    /**
     * The index entry is written before the status document; a crash between the two leaves an entry without a
     * document. Its file is listed as the buckets know it, or left out when nothing knows it, and paging goes on.
     */
    @Test
    void anEntryWithoutItsStatusIsAnsweredFromTheBucketsOrLeftOut() {
        Tenant tenant = app.newTenant("crash");
        UploadIndex index = new UploadIndex(app.s3(), app.settings().lakeBucket());
        FileKey lost = FileKey.create(Stream.CONTACT, FileKey.SOURCE_API, tenant.id(), Instant.now(), false);
        index.enter(lost, Instant.now().plusSeconds(60));
        FileKey waiting = FileKey.create(Stream.CONTACT, FileKey.SOURCE_API, tenant.id(), Instant.now(), true);
        index.enter(waiting, Instant.now().plusSeconds(30));
        app.s3().putObject(b -> b.bucket(app.settings().landingBucket()).key(waiting.key()), RequestBody.fromString("{}\n"));
        String older = client.requestUrl(tenant.key(), "contact").fileKey();

        JsonNode first = page(tenant, "limit=2");
        assertThat(first.get("uploads")).hasSize(1);
        assertThat(first.at("/uploads/0/file_key").asText()).isEqualTo(waiting.key());
        assertThat(first.at("/uploads/0/state").asText()).isEqualTo("awaiting_upload");
        JsonNode second = page(tenant, "limit=2&cursor=" + first.get("next_cursor").asText());
        assertThat(second.at("/uploads/0/file_key").asText()).isEqualTo(older);
        assertThat(second.get("next_cursor").isNull()).isTrue();
        assertThat(app.s3().listObjectsV2(b -> b.bucket(app.settings().lakeBucket()).prefix(LakeKeys.uploadsOf(tenant.id())))
                .contents()).hasSize(3);
    }

    @Test
    void badPagingIsRefusedNamingTheParameter() throws IOException {
        Tenant tenant = app.newTenant("bad-paging");
        for (String limit : List.of("0", "201", "ten", "-1")) {
            HttpResponse<String> refused = app.get("/ingestion/uploads?limit=" + limit, tenant.key());
            assertThat(refused.statusCode()).as(limit).isEqualTo(400);
            assertThat(JSON.readTree(refused.body()).at("/errors/0/pointer").asText()).isEqualTo("/limit");
        }
        // ...and names no entry can have: U+FFFF and U+FFFE (which reached S3's listing and came back as XML its
        // client could not read: a 500 and a stack trace in the log each time), a space
        List<String> notNames = List.of("\uFFFF", "\uFFFE", "a b").stream()
                .map(name -> Base64.getUrlEncoder().encodeToString(name.getBytes(StandardCharsets.UTF_8))).toList();
        for (String cursor : java.util.stream.Stream.concat(java.util.stream.Stream.of("a", "not*base64",
                URLEncoder.encode("Lw", StandardCharsets.UTF_8)), notNames.stream()).toList()) {
            HttpResponse<String> refused = app.get("/ingestion/uploads?cursor=" + cursor, tenant.key());
            assertThat(refused.statusCode()).as(cursor).isEqualTo(400);
            assertThat(JSON.readTree(refused.body()).at("/errors/0/pointer").asText()).isEqualTo("/cursor");
        }
        assertThat(app.get("/ingestion/uploads?limit=200", tenant.key()).statusCode()).isEqualTo(200);
        assertThat(app.get("/ingestion/uploads", null).statusCode()).isEqualTo(401);
        assertThat(app.get("/ingestion/uploads", "inlet_not-a-key").statusCode()).isEqualTo(401);
    }

    private static JsonNode page(Tenant tenant, String query) {
        HttpResponse<String> response = app.get("/ingestion/uploads" + (query.isEmpty() ? "" : "?" + query), tenant.key());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

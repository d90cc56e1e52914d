package io.inlet.upload;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Json;
import io.inlet.schema.Stream;
import io.inlet.storage.FileKey;
import io.inlet.storage.SharedInboxObject;
import io.inlet.testing.Await;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * upload-json batches sent at the same time share inbox objects (a group commit), and nothing shows it from the
 * outside: every batch keeps its file key, its own status and counts, its place in the upload list, and its
 * records reach the lake once.
 */
class SharedInboxWritesTest {

    private static final ObjectMapper JSON = Json.mapper();
    private static final int CLIENTS = 24;
    private static final int BATCHES_EACH = 10;
    private static final int RECORDS = 3;

    /** The gathering bound of this class's app: long enough that a batch held for it shows in its answer time. */
    private static final Duration GATHER = Duration.ofSeconds(1);

    /**
     * Reconciles only at start: every shared object must reach the pipeline by its own announcement. Gathers for
     * up to a second, so that senders answered together are seen to come back together however slow the machine.
     */
    static InletApp app;
    static BulkClient client;

    @BeforeAll
    static void start() {
        app = InletApp.start(Map.of("inlet.queue.reconcile-interval", "PT1H",
                "inlet.upload-json.shared.gather-ms", String.valueOf(GATHER.toMillis())));
        client = new BulkClient(app.baseUrl());
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void concurrentBatchesShareInboxObjectsYetEachKeepsItsKeyStatusListingAndRecords() throws Exception {
        Tenant tenant = app.newTenant("shared");
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        CountDownLatch go = new CountDownLatch(1);
        Map<String, List<String>> idsByKey = new ConcurrentHashMap<>();
        List<Future<?>> sent = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int clientNumber = c;
            sent.add(clients.submit(() -> {
                go.await();
                for (int b = 0; b < BATCHES_EACH; b++) {
                    List<String> ids = new ArrayList<>();
                    StringBuilder body = new StringBuilder("{\"stream\":\"contact_event\",\"data\":[");
                    for (int r = 0; r < RECORDS; r++) {
                        String id = "s" + clientNumber + "-" + b + "-" + r;
                        ids.add(id);
                        body.append(r == 0 ? "" : ",").append(event(id));
                    }
                    HttpResponse<String> answer = app.post("/ingestion/upload-json", tenant.key(), body.append("]}").toString());
                    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                    idsByKey.put(JSON.readTree(answer.body()).get("file_key").asText(), ids);
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> f : sent) {
            f.get();
        }
        clients.shutdown();
        assertThat(idsByKey).hasSize(CLIENTS * BATCHES_EACH);

        // every batch's own status: final, its own records and bytes
        for (String key : idsByKey.keySet()) {
            JsonNode status = client.awaitFinal(tenant.key(), key, Duration.ofSeconds(30));
            assertThat(status.get("file_key").asText()).isEqualTo(key);
            assertThat(status.get("state").asText()).as(status.toString()).isEqualTo("completed");
            assertThat(status.get("records_accepted").asLong()).isEqualTo(RECORDS);
            assertThat(status.get("records_rejected").asLong()).isZero();
            assertThat(status.has("batches")).isFalse();
        }

        // fewer inbox objects than batches went through: some were shared, and say so in their metadata
        String prefix = "data/tenants/objects/contact_event/source_system=dataapi/tenant=" + tenant.id() + "/";
        List<S3Object> archived = app.s3().listObjectsV2Paginator(b -> b.bucket(app.settings().archiveBucket()).prefix(prefix))
                .contents().stream().toList();
        assertThat(archived.size()).isLessThan(idsByKey.size());
        long shared = archived.stream().filter(o -> app.s3().headObject(b -> b.bucket(app.settings().archiveBucket())
                .key(o.key())).metadata().containsKey(SharedInboxObject.METADATA)).count();
        assertThat(shared).isPositive();
        assertThat(app.s3().listObjectsV2(b -> b.bucket(app.settings().inboxBucket()).prefix(prefix)).contents()).isEmpty();

        // every record once in the lake
        List<String> expected = idsByKey.values().stream().flatMap(List::stream).sorted().toList();
        assertThat(Lake.sortedValues(app.s3(), app.settings().lakeBucket(), "contact_event/tenant=" + tenant.id() + "/",
                "event_id")).isEqualTo(expected);

        // the upload list, in small pages that end inside shared objects: every batch once, no other file
        List<String> listed = new ArrayList<>();
        String cursor = "";
        for (int page = 0; page < 200 && cursor != null; page++) {
            JsonNode answer = JSON.readTree(app.get("/ingestion/uploads?limit=7"
                    + (cursor.isEmpty() ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)), tenant.key()).body());
            assertThat(answer.get("uploads").size()).isLessThanOrEqualTo(7);
            for (JsonNode upload : answer.get("uploads")) {
                listed.add(upload.get("file_key").asText());
                assertThat(upload.get("records_accepted").asLong()).isEqualTo(RECORDS);
            }
            cursor = answer.get("next_cursor").isNull() ? null : answer.get("next_cursor").asText();
        }
        assertThat(cursor).isNull();
        assertThat(listed).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(idsByKey.keySet());

        // a batch number the shared object does not have is no file
        FileKey sharedKey = FileKey.parse(idsByKey.keySet().stream()
                .filter(k -> SharedInboxObject.batchOf(FileKey.parse(k).orElseThrow()).isPresent()).findFirst().orElseThrow())
                .orElseThrow();
        FileKey object = SharedInboxObject.batchOf(sharedKey).orElseThrow().object();
        assertThat(client.status(tenant.key(), SharedInboxObject.batchKey(object, 99).key()).statusCode()).isEqualTo(404);
    }

    @Test
    void sendersAnsweredByOneWriteSendTheirNextBatchesInOneWriteToo() throws Exception {
        // Each sender sends its next batch as soon as it is answered. Without gathering, the first batch of a round
        // is written alone and the others wait for it, and the two groups take turns forever: two objects a round.
        int senders = 8;
        int rounds = 10;
        Tenant tenant = app.newTenant("gather");
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<List<String>>> sent = new ArrayList<>();
        for (int c = 0; c < senders; c++) {
            int sender = c;
            sent.add(pool.submit(() -> {
                go.await();
                List<String> keys = new ArrayList<>();
                for (int round = 0; round < rounds; round++) {
                    HttpResponse<String> answer = app.post("/ingestion/upload-json", tenant.key(),
                            "{\"stream\":\"contact_event\",\"data\":[" + event("g" + sender + "-" + round) + "]}");
                    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                    keys.add(JSON.readTree(answer.body()).get("file_key").asText());
                }
                return keys;
            }));
        }
        go.countDown();
        Set<String> keys = new HashSet<>();
        for (Future<List<String>> f : sent) {
            keys.addAll(f.get());
        }
        pool.shutdown();
        assertThat(keys).hasSize(senders * rounds);
        Map<String, Integer> batchesByObject = new TreeMap<>();
        for (String key : keys) {
            FileKey fileKey = FileKey.parse(key).orElseThrow();
            batchesByObject.merge(SharedInboxObject.batchOf(fileKey).map(b -> b.object().key()).orElse(fileKey.key()), 1,
                    Integer::sum);
        }
        // Once every sender has been answered by one write, each round is one object holding all of them; the first
        // rounds (senders starting apart) and the last (the senders that started first finish first) may split.
        long whole = batchesByObject.values().stream().filter(n -> n == senders).count();
        assertThat(whole).as("objects holding a batch of every sender, of %s", batchesByObject.values())
                .isGreaterThanOrEqualTo(rounds / 2);

        // once the tenant has written nothing for longer than the gathering, its group is gone: the next batch goes at once
        Thread.sleep(GATHER.toMillis() + 200);
        long started = System.nanoTime();
        HttpResponse<String> later = app.post("/ingestion/upload-json", tenant.key(),
                "{\"stream\":\"contact_event\",\"data\":[" + event("g-later") + "]}");
        assertThat(later.statusCode()).as(later.body()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(GATHER);
    }

    @Test
    void aLoneSendersBatchesAreWrittenAtOnceEachItsOwnObject() throws Exception {
        Tenant tenant = app.newTenant("gatherlone");
        // not timed: a cold service's first request can take longer than the gathering on a busy machine
        assertThat(app.post("/ingestion/upload-json", app.newTenant("warmup").key(),
                "{\"stream\":\"contact_event\",\"data\":[" + event("warm") + "]}").statusCode()).isEqualTo(200);
        for (int i = 0; i < 5; i++) {
            long started = System.nanoTime();
            HttpResponse<String> answer = app.post("/ingestion/upload-json", tenant.key(),
                    "{\"stream\":\"contact_event\",\"data\":[" + event("lone-" + i) + "]}");
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            // nothing else on its way: never held for the gathering time
            assertThat(took).as("answer %d", i).isLessThan(GATHER);
            FileKey key = FileKey.parse(JSON.readTree(answer.body()).get("file_key").asText()).orElseThrow();
            assertThat(SharedInboxObject.batchOf(key)).as(key.key()).isEmpty();
        }
    }

    @Test
    void aRejectedLineCountsInItsOwnBatchNumberedFromItsFirstLine() throws Exception {
        // written straight into the inbox, unannounced: the shared test app's reconciliation (every 2 s) finds it
        InletApp app = InletApp.shared();
        BulkClient client = new BulkClient(app.baseUrl());
        Tenant tenant = app.newTenant("sharedbad");
        // as upload-json writes a shared object, with the second batch's second line invalid (a newer schema, say)
        FileKey object = FileKey.create(Stream.CONTACT_EVENT, FileKey.SOURCE_API, tenant.id(), Instant.now(),
                UUID.randomUUID().toString(), false);
        String first = event("b1-0") + "\n" + event("b1-1") + "\n";
        String second = event("b2-0") + "\n" + "{\"event_id\":\"b2-1\",\"contact_id\":\"c\"}\n" + event("b2-2") + "\n";
        String metadata = SharedInboxObject.encode(List.of(
                new SharedInboxObject.Batch(2, first.getBytes(StandardCharsets.UTF_8).length),
                new SharedInboxObject.Batch(3, second.getBytes(StandardCharsets.UTF_8).length)));
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(object.key())
                .metadata(Map.of(SharedInboxObject.METADATA, metadata)), RequestBody.fromString(first + second));

        String one = SharedInboxObject.batchKey(object, 1).key();
        String two = SharedInboxObject.batchKey(object, 2).key();
        JsonNode firstStatus = client.awaitFinal(tenant.key(), one, Duration.ofSeconds(60));
        assertThat(firstStatus.get("state").asText()).isEqualTo("completed");
        assertThat(firstStatus.get("records_accepted").asLong()).isEqualTo(2);
        assertThat(firstStatus.get("bytes_total").asLong()).isEqualTo(first.getBytes(StandardCharsets.UTF_8).length);
        assertThat(firstStatus.get("first_rejections")).isEmpty();
        assertThat(firstStatus.has("rejected_key")).isFalse();

        JsonNode secondStatus = client.awaitFinal(tenant.key(), two, Duration.ofSeconds(60));
        assertThat(secondStatus.get("state").asText()).isEqualTo("completed_with_errors");
        assertThat(secondStatus.get("records_accepted").asLong()).isEqualTo(2);
        assertThat(secondStatus.get("records_rejected").asLong()).isEqualTo(1);
        assertThat(secondStatus.get("first_rejections")).isNotEmpty();
        for (JsonNode rejection : secondStatus.get("first_rejections")) {
            assertThat(rejection.get("line").asLong()).isEqualTo(2);
        }
        assertThat(secondStatus.get("rejected_key").asText()).isNotEmpty();

        Set<String> listed = new HashSet<>();
        Await.until("both batches listed", Duration.ofSeconds(10), () -> {
            listed.clear();
            try {
                JSON.readTree(app.get("/ingestion/uploads", tenant.key()).body()).get("uploads")
                        .forEach(u -> listed.add(u.get("file_key").asText() + " " + u.get("state").asText()));
            } catch (Exception e) {
                return false;
            }
            return listed.size() == 2;
        });
        assertThat(listed).containsExactlyInAnyOrder(one + " completed", two + " completed_with_errors");
    }

    @Test
    void metadataOnAFileUploadJsonDidNotWriteIsIgnored() throws Exception {
        InletApp app = InletApp.shared();
        BulkClient client = new BulkClient(app.baseUrl());
        Tenant tenant = app.newTenant("sharedfake");
        // another system's file claiming to hold two batches: it is one file, and no batch key answers
        FileKey foreign = FileKey.create(Stream.CONTACT_EVENT, "crm", tenant.id(), Instant.now(),
                UUID.randomUUID().toString(), false);
        String content = event("f-0") + "\n" + event("f-1") + "\n";
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(foreign.key())
                .metadata(Map.of(SharedInboxObject.METADATA, "1:1,1:" + (content.length() - 1))), RequestBody.fromString(content));
        JsonNode status = client.awaitFinal(tenant.key(), foreign.key(), Duration.ofSeconds(60));
        assertThat(status.get("state").asText()).isEqualTo("completed");
        assertThat(status.get("records_accepted").asLong()).isEqualTo(2);
        assertThat(status.has("batches")).isFalse();
        assertThat(client.status(tenant.key(), SharedInboxObject.batchKey(foreign, 1).key()).statusCode()).isEqualTo(404);
    }

    private static String event(String id) {
        return "{\"event_id\":\"" + id + "\",\"contact_id\":\"c\",\"event\":\"e\",\"event_timestamp\":\"2025-03-01T10:00:00Z\","
                + "\"event_properties\":{}}";
    }
}

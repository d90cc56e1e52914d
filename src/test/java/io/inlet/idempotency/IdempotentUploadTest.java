package io.inlet.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Json;
import io.inlet.storage.LakeKeys;
import io.inlet.storage.S3Credentials;
import io.inlet.testing.Await;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * upload-json with an Idempotency-Key, on the real service and its S3: a retry gets the first answer and stores
 * nothing, another body under the key is refused, keys are per tenant, and the first answer holds across a restart
 * and on a second instance sharing the S3, also when requests with one key arrive at once on both.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IdempotentUploadTest {

    private static final ObjectMapper JSON = Json.mapper();
    private static final String CONTACTS = """
            {"stream":"contact","data":[
              {"contact_id":"c-1","email":"jane@acme.com","contact_properties":{"title":"CTO"}},
              {"contact_id":"c-2","email":"joe@acme.com","contact_properties":{}}]}""";

    static InletApp first;
    static InletApp second;

    @BeforeAll
    static void start() {
        first = InletApp.start(Map.of());
    }

    @AfterAll
    static void stop() {
        for (InletApp app : new InletApp[] {second, first}) {
            if (app != null) {
                app.close();
            }
        }
    }

    @Test
    @Order(1)
    void aRetryGetsTheFirstAnswerAndStoresNothing() throws IOException {
        FirstUse use = firstUse("idem");
        Tenant tenant = use.tenant();
        // the same records, formatted otherwise and gzipped: the same batch
        HttpResponse<String> retry = send(first, request(first, tenant, use.key()).header("Content-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(gzip(JSON.readTree(CONTACTS).toPrettyString()))));

        assertThat(use.answer().headers().firstValue(IdempotentUploads.REPLAYED_HEADER)).isEmpty();
        String fileKey = replays(use, retry);
        assertThat(new BulkClient(first.baseUrl()).awaitFinal(tenant.key(), fileKey, Duration.ofSeconds(30))
                .get("state").asText()).isEqualTo("completed");
        assertThat(Lake.values(Lake.records(first.s3(), first.settings().lakeBucket(), "contact/tenant=" + tenant.id() + "/"),
                "contact_id")).containsExactlyInAnyOrder("c-1", "c-2");
        // the key is kept only as a hash, under the tenant
        List<String> records = keysUnder(first, first.settings().lakeBucket(), LakeKeys.IDEMPOTENCY_PREFIX + tenant.id() + "/");
        assertThat(records).hasSize(1).noneMatch(r -> r.contains(use.key()));
    }

    @Test
    @Order(1)
    void anotherBodyUnderTheKeyIs422NamingTheHeader() throws IOException {
        FirstUse use = firstUse("idem-other");
        Tenant tenant = use.tenant();

        HttpResponse<String> other = use.retry(first, CONTACTS.replace("c-2", "c-3"));
        HttpResponse<String> otherStream = use.retry(first, """
                {"stream":"account","data":[{"account_id":"a-1","domain":"acme.com","account_properties":{}}]}""");

        for (HttpResponse<String> refused : List.of(other, otherStream)) {
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(422);
            JsonNode body = JSON.readTree(refused.body());
            assertThat(body.get("status").asText()).isEqualTo("error");
            assertThat(body.get("message").asText()).contains("Idempotency-Key").contains("different body")
                    .contains("stored as " + fileKey(use.answer())).doesNotContain("new key");
            assertThat(body.get("errors").get(0).get("header").asText()).isEqualTo("Idempotency-Key");
        }
        assertThat(storedFiles(first, tenant)).containsExactly(fileKey(use.answer()));
        assertThat(keysUnder(first, first.settings().inboxBucket(), "data/tenants/objects/account/source_system=dataapi/tenant="
                + tenant.id() + "/")).isEmpty();
    }

    @Test
    @Order(1)
    void tenantsNeverShareAKey() throws IOException {
        Tenant a = first.newTenant("idem-a");
        Tenant b = first.newTenant("idem-b");
        String key = "order-4711";

        HttpResponse<String> fromA = post(first, a, key, CONTACTS);
        HttpResponse<String> fromB = post(first, b, key, CONTACTS);

        assertThat(fromA.statusCode()).isEqualTo(200);
        assertThat(fromB.statusCode()).isEqualTo(200);
        assertThat(fromB.headers().firstValue(IdempotentUploads.REPLAYED_HEADER)).isEmpty();
        assertThat(storedFiles(first, a)).containsExactly(fileKey(fromA));
        assertThat(storedFiles(first, b)).containsExactly(fileKey(fromB));
    }

    @Test
    @Order(1)
    void aKeyThatIsNotOneToTwoHundredFiftyFivePrintableAsciiCharactersIs400() throws IOException {
        Tenant tenant = first.newTenant("idem-bad");
        List<HttpResponse<String>> refused = List.of(
                post(first, tenant, "x".repeat(256), CONTACTS),
                post(first, tenant, "", CONTACTS),
                post(first, tenant, "tab\there", CONTACTS),
                send(first, request(first, tenant, "one").header(IdempotentUploads.HEADER, "two")
                        .POST(HttpRequest.BodyPublishers.ofString(CONTACTS))));
        for (HttpResponse<String> response : refused) {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
            JsonNode body = JSON.readTree(response.body());
            assertThat(body.get("message").asText()).contains("Idempotency-Key");
            assertThat(body.get("errors").get(0).get("header").asText()).isEqualTo("Idempotency-Key");
        }
        assertThat(post(first, tenant, "x".repeat(255), CONTACTS).statusCode()).isEqualTo(200);
        assertThat(post(first, tenant, " !\"#~ key with spaces ~", CONTACTS).statusCode()).isEqualTo(200);
        assertThat(storedFiles(first, tenant)).hasSize(2);
    }

    /** The request that made the record failed before its batch was stored: its retry stores it, once. */
    @Test
    @Order(2)
    void aRetryOfARequestThatFailedBeforeStoringStoresTheBatchOnce() throws IOException {
        Tenant tenant = first.newTenant("idem-failed");
        String key = UUID.randomUUID().toString();
        String inbox = first.settings().inboxBucket();
        Await.until("the inbox empty", Duration.ofSeconds(30), () -> keysUnder(first, inbox, "").isEmpty());
        first.s3().deleteBucket(b -> b.bucket(inbox));
        HttpResponse<String> failed;
        try {
            failed = post(first, tenant, key, CONTACTS);
        } finally {
            first.s3().createBucket(b -> b.bucket(inbox));
        }
        assertThat(failed.statusCode()).as(failed.body()).isEqualTo(500);
        // the record says so, for a retry on any instance to take it over at once
        String record = LakeKeys.IDEMPOTENCY_PREFIX + tenant.id() + "/";
        Await.until("the record marked interrupted", Duration.ofSeconds(10), () -> keysUnder(first, first.settings().lakeBucket(), record)
                .stream().anyMatch(k -> new String(first.readObject(first.settings().lakeBucket(), k), StandardCharsets.UTF_8)
                        .contains("\"state\":\"interrupted\"")));

        HttpResponse<String> retry = post(first, tenant, key, CONTACTS);

        assertThat(retry.headers().firstValue(IdempotentUploads.REPLAYED_HEADER)).as("it stored the batch").isEmpty();
        replays(new FirstUse(tenant, key, retry), post(first, tenant, key, CONTACTS));
    }

    @Test
    @Order(3)
    void theFirstAnswerHoldsAcrossARestart() throws IOException {
        FirstUse use = firstUse("idem-restart");

        first.restart();

        replays(use, use.retry(first, CONTACTS));
    }

    @Test
    @Order(4)
    void anotherInstanceOnTheSameS3ReplaysTheFirstAnswer() throws IOException {
        FirstUse use = firstUse("idem-two");

        HttpResponse<String> retry = use.retry(second(), CONTACTS);
        HttpResponse<String> other = use.retry(second(), CONTACTS.replace("c-2", "c-3"));

        assertThat(other.statusCode()).isEqualTo(422);
        replays(use, retry);
    }

    /**
     * Requests with one key at once on both instances: exactly one stores the batch; the others answer with its
     * answer, or 409 (retry) when it was not finished within their wait. A retry then gets the answer.
     */
    @Test
    @Order(4)
    void requestsWithOneKeyAtOnceOnTwoInstancesStoreOneBatch() throws Exception {
        Tenant tenant = first.newTenant("idem-race");
        String key = UUID.randomUUID().toString();
        InletApp[] instances = {first, second()};
        int requests = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService clients = Executors.newFixedThreadPool(requests);
        List<HttpResponse<String>> answers = new ArrayList<>();
        try {
            List<Future<HttpResponse<String>>> sent = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                InletApp instance = instances[i % 2];
                sent.add(clients.submit(() -> {
                    go.await();
                    return post(instance, tenant, key, CONTACTS);
                }));
            }
            go.countDown();
            for (Future<HttpResponse<String>> answer : sent) {
                answers.add(answer.get());
            }
        } finally {
            clients.shutdownNow();
        }

        List<HttpResponse<String>> stored = answers.stream().filter(a -> a.statusCode() == 200).toList();
        assertThat(answers).allSatisfy(a -> assertThat(a.statusCode()).as(a.body()).isIn(200, 409));
        assertThat(stored).isNotEmpty();
        String body = stored.get(0).body();
        assertThat(stored).allSatisfy(a -> assertThat(a.body()).isEqualTo(body));
        assertThat(answers.stream().filter(a -> a.statusCode() == 409))
                .allSatisfy(a -> assertThat(a.headers().firstValue("Retry-After")).hasValue("1"));
        assertThat(post(second(), tenant, key, CONTACTS).body()).isEqualTo(body);
        assertThat(storedFiles(first, tenant)).containsExactly(fileKey(stored.get(0)));
    }

    /** An instance of its own that shares the first one's S3 (its public port) and key file; its own queue. */
    private static synchronized InletApp second() {
        if (second == null) {
            AwsBasicCredentials credentials = S3Credentials.forEmbeddedServer(first.settings());
            String s3 = "http://127.0.0.1:" + first.settings().embeddedS3Port();
            second = InletApp.start(Map.of(
                    "inlet.s3.embedded.enabled", "false",
                    "inlet.s3.endpoint", s3,
                    "inlet.s3.public-endpoint", s3,
                    "inlet.s3.access-key", credentials.accessKeyId(),
                    "inlet.s3.secret-key", credentials.secretAccessKey(),
                    "inlet.keys.file", first.settings().keysFile().toString()));
        }
        return second;
    }

    /** A new tenant's first upload with a new key, on the first instance. */
    private record FirstUse(Tenant tenant, String key, HttpResponse<String> answer) {
        HttpResponse<String> retry(InletApp app, String body) {
            return post(app, tenant, key, body);
        }
    }

    private static FirstUse firstUse(String tenantPrefix) {
        Tenant tenant = first.newTenant(tenantPrefix);
        String key = UUID.randomUUID().toString();
        return new FirstUse(tenant, key, post(first, tenant, key, CONTACTS));
    }

    /** The retry answered what the first use did, as a replay, and the tenant has the first use's file only. */
    private static String replays(FirstUse use, HttpResponse<String> retry) throws IOException {
        String fileKey = fileKey(use.answer());
        assertThat(retry.statusCode()).as(retry.body()).isEqualTo(200);
        assertThat(retry.body()).isEqualTo(use.answer().body());
        assertThat(retry.headers().firstValue(IdempotentUploads.REPLAYED_HEADER)).hasValue("true");
        assertThat(storedFiles(first, use.tenant())).containsExactly(fileKey);
        return fileKey;
    }

    private static HttpResponse<String> post(InletApp app, Tenant tenant, String key, String body) {
        return send(app, request(app, tenant, key).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static HttpRequest.Builder request(InletApp app, Tenant tenant, String key) {
        return HttpRequest.newBuilder(URI.create(app.baseUrl() + "/ingestion/upload-json")).timeout(Duration.ofSeconds(30))
                .header("x-api-key", tenant.key()).header("Content-Type", "application/json")
                .header(IdempotentUploads.HEADER, key);
    }

    private static HttpResponse<String> send(InletApp app, HttpRequest.Builder request) {
        return app.send(request.build());
    }

    /** The tenant's upload-json files wherever they are now: the inbox, or the archive once processed. */
    private static Set<String> storedFiles(InletApp app, Tenant tenant) {
        Set<String> keys = new TreeSet<>();
        for (String stream : List.of("contact", "account")) {
            String prefix = "data/tenants/objects/" + stream + "/source_system=dataapi/tenant=" + tenant.id() + "/";
            // inbox first: a file moves by a copy to the archive, then a delete from the inbox
            keys.addAll(keysUnder(app, app.settings().inboxBucket(), prefix));
            keys.addAll(keysUnder(app, app.settings().archiveBucket(), prefix));
        }
        return keys;
    }

    private static List<String> keysUnder(InletApp app, String bucket, String prefix) {
        return app.s3().listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                .map(S3Object::key).toList();
    }

    private static String fileKey(HttpResponse<String> response) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).get("file_key").asText();
    }

    private static byte[] gzip(String text) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}

package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.Json;
import io.inlet.storage.LakeKeys;
import io.inlet.storage.S3Credentials;
import io.inlet.testing.BulkClient;
import io.inlet.testing.DroppingProxy;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletProcess;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Several instances of the packaged service on one S3 and one queue (the {@code storage} command: the embedded S3
 * and queue served alone), each serving the API and processing work. Instances are killed with SIGKILL or frozen
 * with SIGSTOP at random moments; every acknowledged record must reach the lake exactly once.
 */
class ManyInstancesIT {

    private static final String TENANT = "many";
    private static final int JSON_BATCHES = 300;
    private static final int RECORDS_PER_BATCH = 20;

    /** One keys file for every test of the class (the instances of a test share it): one CLI start, not three. */
    @TempDir
    static Path keysDir;
    static String key;
    @TempDir
    Path root;
    InletProcess storage;
    final List<InletProcess> instances = new ArrayList<>();
    final List<Map<String, String>> settings = new ArrayList<>();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void createKey() throws Exception {
        key = InletProcess.createKeyIn(keysDir, TENANT);
    }

    @BeforeEach
    void startStorage() throws Exception {
        int s3Port = InletApp.freePort();
        int queuePort = InletApp.freePort();
        Map<String, String> storageSettings = new HashMap<>();
        storageSettings.put("inlet.data-dir", root.resolve("storage").toString());
        storageSettings.put("inlet.s3.embedded.port", String.valueOf(s3Port));
        storageSettings.put("inlet.queue.embedded.port", String.valueOf(queuePort));
        // Every instance connects from 127.0.0.1.
        storageSettings.put("inlet.s3.embedded.uploads.max-per-client", "512");
        storageSettings.put("inlet.s3.embedded.uploads.max-in-flight", "512");
        storage = InletProcess.startStorage(storageSettings);

        Properties credentials = new Properties();
        try (InputStream in = Files.newInputStream(root.resolve("storage").resolve(S3Credentials.EMBEDDED_FILE))) {
            credentials.load(in);
        }
        for (int i = 0; i < 3; i++) {
            Map<String, String> instance = InletProcess.settings(root.resolve("instance-" + i), root.resolve("drop-" + i));
            instance.put("inlet.keys.file", InletProcess.keysFile(keysDir).toString());
            instance.put("inlet.s3.embedded.enabled", "false");
            instance.put("inlet.s3.endpoint", "http://127.0.0.1:" + s3Port);
            instance.put("inlet.s3.public-endpoint", "http://127.0.0.1:" + s3Port);
            instance.put("inlet.s3.access-key", credentials.getProperty("aws_access_key_id"));
            instance.put("inlet.s3.secret-key", credentials.getProperty("aws_secret_access_key"));
            instance.put("inlet.queue.embedded.enabled", "false");
            instance.put("inlet.queue.endpoint", "http://127.0.0.1:" + queuePort);
            instance.put("inlet.queue.access-key", "test");
            instance.put("inlet.queue.secret-key", "test");
            instance.put("inlet.lake.part.max-records", "3000");
            instance.put("inlet.pipeline.lease-timeout", "PT6S");
            instance.put("inlet.queue.reconcile-min-age", "PT5S");
            // Three instances reconciling every 2 s (the test default) announce the files still waiting behind the
            // queue's backlog again and again, and the duplicates lengthen the backlog: minutes of extra work.
            instance.put("inlet.queue.reconcile-interval", "PT15S");
            settings.add(instance);
        }
    }

    @AfterEach
    void stopAll() throws InterruptedException {
        for (InletProcess instance : instances) {
            if (instance != null) {
                instance.close();
            }
        }
        if (storage != null) {
            storage.close();
        }
    }

    @Test
    void threeInstancesAndAKilledOneLeaveEveryAcknowledgedRecordInTheLakeOnce() throws Exception {
        // started side by side: each start is mostly waiting for its JVM and Camel
        ExecutorService starting = Executors.newFixedThreadPool(3);
        List<Future<InletProcess>> started = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Map<String, String> instance = settings.get(i);
            started.add(starting.submit(() -> InletProcess.start(instance, "256m")));
        }
        for (Future<InletProcess> instance : started) {
            instances.add(instance.get());
        }
        starting.shutdown();
        // starting together, they race to create the buckets: the loser's "you already own it" is not a failure
        for (InletProcess instance : instances) {
            assertThat(instance.log()).doesNotContain("S3 not reachable");
        }
        List<JsonlFiles.Generated> bulk = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            bulk.add(JsonlFiles.contactEvents(root, "bulk" + i, 100_000, 100, true));
        }
        Random random = new Random();
        ExecutorService senders = Executors.newFixedThreadPool(4);
        Set<String> acknowledged = Collections.synchronizedSet(new HashSet<>());
        Set<String> unacknowledged = Collections.synchronizedSet(new HashSet<>());
        List<String> bulkKeys = Collections.synchronizedList(new ArrayList<>());
        List<Future<?>> work = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonlFiles.Generated file = bulk.get(i);
            int first = i;
            work.add(senders.submit(() -> bulkKeys.add(uploadBulk(file, first))));
        }
        for (int t = 0; t < 3; t++) {
            int thread = t;
            work.add(senders.submit(() -> {
                for (int b = thread; b < JSON_BATCHES; b += 3) {
                    sendJsonBatch(b, acknowledged, unacknowledged);
                }
            }));
        }

        // One instance killed at a random moment of the workload, and started again on its data directory.
        Thread.sleep(1_000 + random.nextInt(6_000));
        int victim = random.nextInt(3);
        instances.get(victim).kill();
        Thread.sleep(1_000);
        instances.set(victim, InletProcess.start(settings.get(victim), "256m"));

        for (Future<?> f : work) {
            f.get();
        }
        senders.shutdown();

        Set<String> expected = new HashSet<>(acknowledged);
        bulk.forEach(f -> expected.addAll(f.validIds()));
        assertSettled(bulkKeys, expected, unacknowledged);
    }

    @Test
    void anInstanceFrozenMidFileIsTakenOverAndItsLateWorkChangesNothing() throws Exception {
        instances.add(InletProcess.start(settings.get(0), "256m"));
        JsonlFiles.Generated file = JsonlFiles.contactEvents(root, "frozen", 100_000, 100, true);
        String fileKey = uploadBulk(file, 0);
        try (S3Client s3 = InletProcess.s3Client(settings.get(0))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (Lake.partKeys(s3, "inlet-lake", "contact_event/tenant=" + TENANT + "/").isEmpty()) {
                assertThat(System.nanoTime()).as("no part file appeared").isLessThan(deadline);
                Thread.sleep(20);
            }
        }
        // The owner stops mid-file (no heartbeat, no progress) while its batch is half written.
        instances.get(0).signal("STOP");
        instances.add(InletProcess.start(settings.get(1), "256m"));
        BulkClient second = new BulkClient(InletProcess.baseUrl(settings.get(1)));
        JsonNode status = second.awaitFinal(key, fileKey, Duration.ofSeconds(180));
        assertThat(status.get("state").asText()).isEqualTo("completed_with_errors");
        assertThat(instances.get(1).log()).contains("Taking over batch");
        // The first instance wakes up and carries on with the batch it no longer owns, to its end.
        instances.get(0).signal("CONT");
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!instances.get(0).log().contains(fileKey + ": completed_with_errors")
                && !instances.get(0).log().contains("taken over by")) {
            assertThat(System.nanoTime()).as("the frozen instance went on").isLessThan(deadline);
            Thread.sleep(200);
        }

        assertSettled(List.of(fileKey), new HashSet<>(file.validIds()), Set.of());
    }

    @Test
    void anInstanceFrozenMidFileThatFailsOnWakingDeletesNothingOfTheInstanceThatTookOver() throws Exception {
        // The first instance reaches S3 through a proxy, so that its connections can fail while it is frozen.
        int s3Port = Integer.parseInt(settings.get(0).get("inlet.s3.endpoint").replaceAll(".*:", ""));
        int proxyPort = InletApp.freePort();
        try (DroppingProxy network = new DroppingProxy(proxyPort, s3Port)) {
            settings.get(0).put("inlet.s3.endpoint", "http://127.0.0.1:" + proxyPort);
            instances.add(InletProcess.start(settings.get(0), "256m"));
            JsonlFiles.Generated file = JsonlFiles.contactEvents(root, "frozen", 100_000, 100, true);
            String fileKey = uploadBulk(file, 0);
            String parts = "contact_event/tenant=" + TENANT + "/";
            try (S3Client s3 = InletProcess.s3Client(settings.get(1))) {
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (Lake.partKeys(s3, "inlet-lake", parts).isEmpty()) {
                    assertThat(System.nanoTime()).as("no part file appeared").isLessThan(deadline);
                    Thread.sleep(20);
                }
                instances.get(0).signal("STOP");
                instances.add(InletProcess.start(settings.get(1), "256m"));
                JsonNode status = new BulkClient(InletProcess.baseUrl(settings.get(1))).awaitFinal(key, fileKey,
                        Duration.ofSeconds(180));
                assertThat(status.get("state").asText()).isEqualTo("completed_with_errors");
                List<String> committed = Lake.partKeys(s3, "inlet-lake", parts);

                // The frozen instance's read of the file fails the moment it wakes: its attempt ends unfinished.
                network.resetOpenConnections();
                instances.get(0).signal("CONT");
                deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (!instances.get(0).log().contains("taken over by")) {
                    assertThat(Lake.partKeys(s3, "inlet-lake", parts)).as("the committed parts, while the stalled run ends")
                            .containsAll(committed);
                    assertThat(System.nanoTime()).as("the stalled run ended").isLessThan(deadline);
                    Thread.sleep(50);
                }
                assertThat(new BulkClient(InletProcess.baseUrl(settings.get(1))).awaitFinal(key, fileKey,
                        Duration.ofSeconds(5)).get("state").asText()).isEqualTo("completed_with_errors");
                assertThat(Lake.partKeys(s3, "inlet-lake", parts)).containsExactlyInAnyOrderElementsOf(committed);
            }
            assertSettled(List.of(fileKey), new HashSet<>(file.validIds()), Set.of());
        }
    }

    /** Every file final, nothing left in the inbox, no batch or claim pending; acknowledged records once. */
    private void assertSettled(List<String> bulkKeys, Set<String> expected, Set<String> unacknowledged) throws Exception {
        BulkClient client = new BulkClient(InletProcess.baseUrl(settings.get(0)));
        for (String fileKey : bulkKeys) {
            assertThat(client.awaitFinal(key, fileKey, Duration.ofSeconds(240)).get("state").asText())
                    .isEqualTo("completed_with_errors");
        }
        try (S3Client s3 = InletProcess.s3Client(settings.get(0))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            while (s3.listObjectsV2(b -> b.bucket("inlet-inbox")).keyCount() > 0
                    || !Lake.unfinishedBatches(s3, "inlet-lake").isEmpty()
                    || s3.listObjectsV2(b -> b.bucket("inlet-lake").prefix(LakeKeys.CLAIM_PREFIX)).keyCount() > 0) {
                assertThat(System.nanoTime()).as("inbox emptied, batches and claims finished").isLessThan(deadline);
                Thread.sleep(200);
            }
            List<JsonNode> records = new ArrayList<>();
            records.addAll(Lake.records(s3, "inlet-lake", "contact_event/tenant=" + TENANT + "/"));
            records.addAll(Lake.records(s3, "inlet-lake", "contact/tenant=" + TENANT + "/"));
            List<String> ids = new ArrayList<>();
            for (JsonNode record : records) {
                ids.add(record.has("event_id") ? record.get("event_id").asText() : record.get("contact_id").asText());
            }
            // Set arithmetic by hand: AssertJ compares large collections element by element.
            Set<String> distinct = new HashSet<>(ids);
            assertThat(ids.size()).as("no record twice").isEqualTo(distinct.size());
            Set<String> missing = new HashSet<>(expected);
            missing.removeAll(distinct);
            assertThat(missing).as("acknowledged records missing from the lake").isEmpty();
            distinct.removeAll(expected);
            distinct.removeAll(unacknowledged);
            assertThat(distinct).as("records nobody sent, or sent and refused").isEmpty();
            for (String statusKey : s3.listObjectsV2Paginator(b -> b.bucket("inlet-lake").prefix(LakeKeys.STATUS_PREFIX))
                    .contents().stream().map(o -> o.key()).toList()) {
                JsonNode status = Json.mapper().readTree(s3.getObjectAsBytes(b -> b.bucket("inlet-lake").key(statusKey)).asByteArray());
                assertThat(status.get("state").asText()).as(statusKey).isIn("completed", "completed_with_errors");
            }
        }
    }

    /** A bulk upload through instance {@code via} (another one if that one is down at the moment). */
    private String uploadBulk(JsonlFiles.Generated file, int via) {
        for (int attempt = 0; ; attempt++) {
            BulkClient client = new BulkClient(InletProcess.baseUrl(settings.get((via + attempt) % instances.size())));
            try {
                BulkClient.Upload upload = client.requestUrl(key, "contact_event");
                assertThat(client.put(upload.uploadUrl(), file.path())).isEqualTo(200);
                for (int confirm = 0; ; confirm++) {
                    BulkClient confirming = new BulkClient(InletProcess.baseUrl(settings.get((via + attempt + confirm) % instances.size())));
                    try {
                        assertThat(confirming.confirm(key, upload.fileKey()).statusCode()).isEqualTo(200);
                        return upload.fileKey();
                    } catch (RuntimeException down) {
                        assertThat(confirm).as("confirm kept failing: " + down).isLessThan(20);
                        pause(500);
                    }
                }
            } catch (RuntimeException down) {
                assertThat(attempt).as("upload kept failing: " + down).isLessThan(20);
                pause(500);
            }
        }
    }

    /** One upload-json batch; a request cut off by a kill is sent again (with new ids) to the next instance. */
    private void sendJsonBatch(int batch, Set<String> acknowledged, Set<String> unacknowledged) {
        for (int attempt = 0; attempt < 20; attempt++) {
            List<String> ids = new ArrayList<>();
            StringBuilder body = new StringBuilder("{\"stream\":\"contact\",\"data\":[");
            for (int r = 0; r < RECORDS_PER_BATCH; r++) {
                String id = "j" + batch + "-" + attempt + "-" + r;
                ids.add(id);
                body.append(r == 0 ? "" : ",").append("{\"contact_id\":\"").append(id).append("\",\"email\":\"")
                        .append(id).append("@acme.com\",\"contact_properties\":{}}");
            }
            body.append("]}");
            String url = InletProcess.baseUrl(settings.get((batch + attempt) % instances.size())) + "/ingestion/upload-json";
            unacknowledged.addAll(ids);
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(20)).header("x-api-key", key).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    unacknowledged.removeAll(ids);
                    acknowledged.addAll(ids);
                    return;
                }
            } catch (IOException cutOff) {
                // the instance was killed: try the next one
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            pause(200);
        }
        throw new AssertionError("upload-json batch " + batch + " was never acknowledged");
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

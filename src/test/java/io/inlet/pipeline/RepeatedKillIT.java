package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Json;
import io.inlet.testing.Lake;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletProcess;
import io.inlet.testing.JsonlFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The packaged service under a mixed workload (upload-json batches, presigned bulk uploads, drop-folder files),
 * killed with SIGKILL again and again at random moments, half of them while an object is being written, and
 * started again each time. At the end: every acknowledged record is in the lake exactly once (and nothing at
 * all twice), no bucket lists a half-written object, no temporary file is left on disk, and every status
 * document is final.
 */
class RepeatedKillIT {

    private static final String TENANT = "kills";
    private static final int KILLS = Integer.getInteger("inlet.kill-test.kills", 6);
    private static final Pattern TEMPORARY = Pattern.compile(
            ".*-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
    private static final Pattern EVENT_ID = Pattern.compile("\"event_id\":\"([^\"]+)\"");
    private static final ObjectMapper JSON = Json.mapper();

    @TempDir
    Path dataDir;
    @TempDir
    Path files;

    /** Ids the service acknowledged (a 200, or a file handed to the drop folder): each must be in the lake once. */
    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    /** File keys of acknowledged uploads: each must end with a final status. */
    private final Set<String> acknowledgedKeys = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicBoolean objectBeingWritten = new AtomicBoolean();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void repeatedKillsUnderAMixedWorkloadLoseNothingDoubleNothingAndLeaveNoDebris() throws Exception {
        Map<String, String> settings = InletProcess.settingsFor(dataDir);
        // Small parts and fast polling: many object writes for the kills to land in.
        settings.put("inlet.lake.part.max-records", "3000");
        settings.put("inlet.dropfolder.settle-ms", "300");
        String key = InletProcess.createKey(settings, TENANT);
        BulkClient client = new BulkClient(InletProcess.baseUrl(settings));
        Path drop = Files.createDirectories(dataDir.resolve("drop").resolve(TENANT).resolve("contact_event"));
        Random random = new Random(Long.getLong("inlet.kill-test.seed", System.nanoTime()));

        List<Thread> workload = List.of(
                new Thread(() -> sendJsonBatches(settings, key), "json-sender"),
                new Thread(() -> sendBulkFiles(client, key), "bulk-sender"),
                new Thread(() -> dropFiles(drop), "dropper"));
        workload.forEach(Thread::start);
        int killedDuringWrite = 0;
        try {
            for (int kill = 0; kill < KILLS; kill++) {
                InletProcess inlet = InletProcess.start(settings, "384m");
                if (kill % 2 == 1 && awaitObjectWrite(Duration.ofSeconds(10))) {
                    Thread.sleep(random.nextInt(200));
                    killedDuringWrite += objectBeingWritten.get() ? 1 : 0;
                } else {
                    Thread.sleep(1000 + random.nextInt(3000));
                }
                inlet.kill();
            }
        } finally {
            running.set(false);
        }
        for (Thread thread : workload) {
            thread.join(Duration.ofMinutes(2).toMillis());
        }

        try (InletProcess last = InletProcess.start(settings, "384m"); S3Client s3 = InletProcess.s3Client(settings)) {
            awaitSettled(s3, drop, client, key);
            assertThat(killedDuringWrite).as("kills that landed while an upload body was streaming").isPositive();
            assertThat(acknowledged).as("the workload got through between kills").hasSizeGreaterThan(10_000);

            Map<String, Integer> inLake = lakeIds(s3);
            List<String> missing = acknowledged.stream().filter(id -> !inLake.containsKey(id)).limit(20).toList();
            List<String> doubled = inLake.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
                    .limit(20).toList();
            assertThat(missing).as("acknowledged records missing from the lake").isEmpty();
            assertThat(doubled).as("records in the lake more than once").isEmpty();

            for (String bucket : List.of("inlet-landing", "inlet-inbox", "inlet-archive", "inlet-lake")) {
                assertThat(s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents().stream().map(S3Object::key)
                        .filter(k -> TEMPORARY.matcher(k).matches()).toList())
                        .as("half-written objects listed in " + bucket).isEmpty();
            }
            try (Stream<Path> onDisk = Files.walk(dataDir.resolve("s3"))) {
                assertThat(onDisk.filter(p -> TEMPORARY.matcher(p.getFileName().toString()).matches()).toList())
                        .as("temporary files left on disk").isEmpty();
            }
            for (JsonNode status : statuses(s3)) {
                assertThat(status.get("state").asText()).as(status.toString())
                        .isIn("completed", "awaiting_upload");
            }
        }
    }

    private void sendJsonBatches(Map<String, String> settings, String key) {
        for (int batch = 0; running.get(); batch++) {
            List<String> ids = new ArrayList<>();
            StringBuilder body = new StringBuilder("{\"stream\":\"contact_event\",\"data\":[");
            for (int i = 0; i < 50; i++) {
                String id = "json" + batch + "-" + i;
                ids.add(id);
                body.append(i == 0 ? "" : ",").append(event(id));
            }
            body.append("]}");
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create(InletProcess.baseUrl(settings) + "/ingestion/upload-json"))
                        .timeout(Duration.ofSeconds(10)).header("x-api-key", key)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    acknowledged.addAll(ids);
                    acknowledgedKeys.add(JSON.readTree(response.body()).get("file_key").asText());
                }
            } catch (IOException down) {
                pause(200);
            } catch (InterruptedException e) {
                return;
            }
            pause(25);
        }
    }

    private void sendBulkFiles(BulkClient client, String key) {
        for (int n = 0; running.get(); n++) {
            try {
                JsonlFiles.Generated file = JsonlFiles.contactEvents(files, "bulk" + n, 30_000, 0, true);
                BulkClient.Upload upload = client.requestUrl(key, "contact_event");
                objectBeingWritten.set(true);
                int put;
                try {
                    put = client.put(upload.uploadUrl(), file.path());
                } finally {
                    objectBeingWritten.set(false);
                }
                if (put == 200 && client.confirm(key, upload.fileKey()).statusCode() == 200) {
                    acknowledged.addAll(file.validIds());
                    acknowledgedKeys.add(upload.fileKey());
                }
                Files.delete(file.path());
            } catch (RuntimeException | IOException down) {
                pause(200);
            }
        }
    }

    /** A file moved complete into the drop folder is acknowledged: the folder holds it until it is ingested. */
    private void dropFiles(Path folder) {
        for (int n = 0; running.get(); n++) {
            try {
                JsonlFiles.Generated file = JsonlFiles.contactEvents(files, "drop" + n, 4_000, 0, n % 2 == 0);
                Files.move(file.path(), folder.resolve(file.path().getFileName()));
                acknowledged.addAll(file.validIds());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            pause(1500);
        }
    }

    private boolean awaitObjectWrite(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!objectBeingWritten.get()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    private void awaitSettled(S3Client s3, Path drop, BulkClient client, String key) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
        while (true) {
            boolean settled;
            try (Stream<Path> waiting = Files.list(drop)) {
                settled = waiting.findAny().isEmpty()
                        && s3.listObjectsV2(b -> b.bucket("inlet-inbox")).keyCount() == 0
                        && Lake.unfinishedBatches(s3, "inlet-lake").isEmpty()
                        && statuses(s3).stream().noneMatch(s -> s.get("state").asText().matches("queued|processing"));
            }
            if (settled) {
                break;
            }
            assertThat(System.nanoTime()).as("everything processed after the last restart").isLessThan(deadline);
            Thread.sleep(500);
        }
        for (String fileKey : acknowledgedKeys) {
            assertThat(client.awaitFinal(key, fileKey, Duration.ofSeconds(30)).get("state").asText())
                    .as(fileKey).isEqualTo("completed");
        }
    }

    private static List<JsonNode> statuses(S3Client s3) {
        List<JsonNode> statuses = new ArrayList<>();
        for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket("inlet-lake").prefix("_status/")).contents()) {
            try {
                statuses.add(JSON.readTree(s3.getObjectAsBytes(b -> b.bucket("inlet-lake").key(object.key())).asByteArray()));
            } catch (IOException e) {
                throw new UncheckedIOException(object.key(), e);
            }
        }
        return statuses;
    }

    /** How many times each event id occurs across every part file of the tenant. */
    private static Map<String, Integer> lakeIds(S3Client s3) throws IOException {
        Map<String, Integer> counts = new HashMap<>();
        for (S3Object part : s3.listObjectsV2Paginator(b -> b.bucket("inlet-lake").prefix("contact_event/tenant=" + TENANT + "/"))
                .contents()) {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(new GZIPInputStream(
                    s3.getObject(b -> b.bucket("inlet-lake").key(part.key())), 65_536), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    Matcher id = EVENT_ID.matcher(line);
                    assertThat(id.find()).as("a record in " + part.key()).isTrue();
                    counts.merge(id.group(1), 1, Integer::sum);
                }
            }
        }
        return counts;
    }

    private static String event(String id) {
        return "{\"event_id\":\"" + id + "\",\"contact_id\":\"c-1\",\"event\":\"signup\","
                + "\"event_timestamp\":\"2025-06-01T12:00:00Z\",\"event_properties\":{}}";
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletProcess;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The packaged service killed without warning (SIGKILL, or a halt at a named step of the commit protocol,
 * which is the same to the process) and started again: the lake must end up holding every valid record
 * exactly once, and the rejected-records file every invalid line exactly once.
 */
class CrashRecoveryIT {

    private static final String TENANT = "crash";

    /** One keys file for every run of the class: a key made once instead of a CLI start per case. */
    @TempDir
    static Path keysDir;
    static String key;
    @TempDir
    Path dataDir;
    @TempDir
    Path files;

    @BeforeAll
    static void createKey() throws Exception {
        key = InletProcess.createKeyIn(keysDir, TENANT);
    }

    @ParameterizedTest
    @ValueSource(strings = {CrashPoints.AFTER_MANIFEST, CrashPoints.AFTER_FIRST_PART, CrashPoints.AFTER_OUTPUT,
            CrashPoints.AFTER_ARCHIVE})
    void aCrashAtAnyStepOfABatchLeavesTheLakeExact(String step) throws Exception {
        Map<String, String> settings = settings();
        JsonlFiles.Generated file = JsonlFiles.contactEvents(files, "crash", 60_000, 100, true);
        String fileKey;

        Map<String, String> crashing = new HashMap<>(settings);
        crashing.put("inlet.testing.crash-at", step);
        try (InletProcess first = InletProcess.start(crashing, "256m")) {
            fileKey = upload(settings, key, file);
            assertThat(first.awaitExit(Duration.ofSeconds(60))).isEqualTo(137);
        }

        // What the interrupted run wrote, read from the embedded S3's files while no service runs.
        Map<String, byte[]> before = partFiles();

        try (InletProcess second = InletProcess.start(settings, "256m")) {
            JsonNode status = new BulkClient(baseUrl(settings)).awaitFinal(key, fileKey, Duration.ofSeconds(120));
            assertThat(status.get("state").asText()).isEqualTo("completed_with_errors");
            assertLakeExact(settings, file, status);
        }
        if (step.equals(CrashPoints.AFTER_OUTPUT)) {
            // Every part was written before the crash: the rerun from the manifest rewrote the same names with
            // byte-identical contents, and added none.
            Map<String, byte[]> after = partFiles();
            assertThat(before).isNotEmpty();
            assertThat(after.keySet()).isEqualTo(before.keySet());
            before.forEach((name, bytes) -> assertThat(after.get(name)).as(name).isEqualTo(bytes));
        }
    }

    private Map<String, byte[]> partFiles() throws IOException {
        Path partitions = dataDir.resolve("s3").resolve("inlet-lake").resolve("contact_event");
        Map<String, byte[]> parts = new TreeMap<>();
        if (Files.isDirectory(partitions)) {
            try (Stream<Path> files = Files.walk(partitions)) {
                for (Path part : files.filter(p -> p.getFileName().toString().endsWith(".jsonl.gz")).toList()) {
                    parts.put(partitions.relativize(part).toString(), Files.readAllBytes(part));
                }
            }
        }
        return parts;
    }

    @Test
    void aKillMidFileLeavesTheLakeExact() throws Exception {
        Map<String, String> settings = settings();
        JsonlFiles.Generated file = JsonlFiles.contactEvents(files, "killed", 150_000, 100, true);
        String fileKey;

        try (InletProcess first = InletProcess.start(settings, "256m"); S3Client s3 = InletProcess.s3Client(settings)) {
            fileKey = upload(settings, key, file);
            // Wait until some of the file's output is in the lake, then kill -9 while the rest is being read.
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (Lake.partKeys(s3, "inlet-lake", "contact_event/tenant=" + TENANT + "/").isEmpty()) {
                assertThat(System.nanoTime()).as("no part file appeared").isLessThan(deadline);
                Thread.sleep(20);
            }
            JsonNode status = new BulkClient(baseUrl(settings)).awaitStatus(key, fileKey, s -> true, Duration.ofSeconds(5));
            first.kill();
            assertThat(status.get("state").asText()).as("killed before the file was done").isEqualTo("processing");
        }

        try (InletProcess second = InletProcess.start(settings, "256m")) {
            JsonNode status = new BulkClient(baseUrl(settings)).awaitFinal(key, fileKey, Duration.ofSeconds(180));
            assertThat(status.get("state").asText()).isEqualTo("completed_with_errors");
            assertLakeExact(settings, file, status);
        }
    }

    private void assertLakeExact(Map<String, String> settings, JsonlFiles.Generated file, JsonNode status)
            throws InterruptedException {
        try (S3Client s3 = InletProcess.s3Client(settings)) {
            // A crash after the status was written leaves a final status while the batch is still being finished
            // again: wait for the commit to complete (manifest gone, inbox empty) before looking.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Lake.unfinishedBatches(s3, "inlet-lake").isEmpty()
                    || s3.listObjectsV2(b -> b.bucket("inlet-inbox")).keyCount() > 0) {
                assertThat(System.nanoTime()).as("the batch was not committed again").isLessThan(deadline);
                Thread.sleep(100);
            }
            List<String> ids = Lake.values(Lake.records(s3, "inlet-lake", "contact_event/tenant=" + TENANT + "/"), "event_id");
            assertThat(ids).hasSize(file.validIds().size());
            assertThat(Lake.sorted(ids)).isEqualTo(Lake.sorted(file.validIds()));
            List<JsonNode> rejected = Lake.gzipJsonLines(s3, "inlet-lake", status.get("rejected_key").asText());
            assertThat(rejected).extracting(r -> r.get("line").asLong()).containsExactlyElementsOf(file.invalidLines());
            assertThat(status.get("records_accepted").asLong()).isEqualTo(file.validIds().size());
            assertThat(s3.listObjectsV2(b -> b.bucket("inlet-archive")).keyCount()).isOne();
        }
    }

    private Map<String, String> settings() {
        Map<String, String> settings = InletProcess.settingsFor(dataDir);
        // Small parts, so that a file writes many of them and a crash can fall between two.
        settings.put("inlet.lake.part.max-records", "5000");
        settings.put("inlet.keys.file", InletProcess.keysFile(keysDir).toString());
        return settings;
    }

    private static String upload(Map<String, String> settings, String key, JsonlFiles.Generated file) {
        BulkClient client = new BulkClient(baseUrl(settings));
        BulkClient.Upload upload = client.requestUrl(key, "contact_event");
        assertThat(client.put(upload.uploadUrl(), file.path())).isEqualTo(200);
        assertThat(client.confirm(key, upload.fileKey()).statusCode()).isEqualTo(200);
        return upload.fileKey();
    }

    private static String baseUrl(Map<String, String> settings) {
        return InletProcess.baseUrl(settings);
    }
}

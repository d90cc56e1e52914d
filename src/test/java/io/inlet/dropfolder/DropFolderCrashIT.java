package io.inlet.dropfolder;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.pipeline.CrashPoints;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletProcess;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The service dies (as with kill -9) after a dropped file is stored in the inbox but before it is moved to
 * .done/: at restart the file is found again and must be ingested once, not twice.
 */
class DropFolderCrashIT {

    @TempDir
    Path dataDir;
    @TempDir
    Path files;

    /**
     * Stopped after a file's queued status and before its upload, with the file changed meanwhile: the changed file is
     * a new file (a key of its own), and the first key's status does not stay queued for good: it says it failed.
     */
    @Test
    void aCrashBeforeTheUploadOfAFileChangedMeanwhileLeavesNoStatusQueued() throws Exception {
        Path drop = dataDir.resolve("drop");
        Map<String, String> settings = settings(drop);
        InletProcess.Result created = InletProcess.run(Map.of("inlet.data-dir", dataDir.toString()), Map.of(),
                "keys", "create", "--tenant", "dropper");
        String key = created.lastStdoutLine();
        JsonlFiles.Generated file = JsonlFiles.contactEvents(files, "changed", 200, 0, false);
        Path dropped = Files.createDirectories(drop.resolve("dropper/contact_event")).resolve("export.jsonl");
        BulkClient client = new BulkClient("http://localhost:" + settings.get("camel.server.port"));

        Map<String, String> crashing = new HashMap<>(settings);
        crashing.put("inlet.testing.crash-at", CrashPoints.DROPFOLDER_AFTER_STATUS);
        try (InletProcess first = InletProcess.start(crashing, "256m")) {
            Files.copy(file.path(), dropped);
            assertThat(first.awaitExit(Duration.ofSeconds(60))).isEqualTo(137);
        }
        // the hand-over under way, as the service noted it before its queued status
        List<Path> notes;
        try (var listed = Files.list(dataDir.resolve("dropfolder-taking"))) {
            notes = listed.toList();
        }
        assertThat(notes).hasSize(1);
        String firstKey = Files.readAllLines(notes.get(0)).get(0);
        Files.writeString(dropped, "{\"event_id\":\"added\",\"contact_id\":\"c\",\"event\":\"view\","
                + "\"event_timestamp\":\"2025-06-01T12:00:00Z\",\"event_properties\":{}}\n",
                java.nio.file.StandardOpenOption.APPEND);

        try (InletProcess second = InletProcess.start(settings, "256m")) {
            JsonNode stuck = client.awaitFinal(key, firstKey, Duration.ofSeconds(60));
            assertThat(stuck.get("state").asText()).isEqualTo("failed");
            assertThat(stuck.get("failure_reason").asText()).contains("changed");
            Path sidecar = drop.resolve(".done/dropper/contact_event/export.jsonl.file_key");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Files.exists(sidecar)) {
                assertThat(System.nanoTime()).as("the changed file was not taken").isLessThan(deadline);
                Thread.sleep(100);
            }
            String newKey = Files.readString(sidecar).strip();
            assertThat(newKey).isNotEqualTo(firstKey);
            assertThat(client.awaitFinal(key, newKey, Duration.ofSeconds(60)).get("records_accepted").asLong())
                    .isEqualTo(201);
            assertThat(dataDir.resolve("dropfolder-taking")).as("no hand-over left noted").isEmptyDirectory();
        }
    }

    private Map<String, String> settings(Path drop) {
        Map<String, String> settings = new HashMap<>();
        settings.put("inlet.data-dir", dataDir.toString());
        settings.put("inlet.dropfolder.dir", drop.toString());
        settings.put("inlet.dropfolder.settle-ms", "500");
        settings.put("camel.server.port", String.valueOf(InletApp.freePort()));
        settings.put("inlet.s3.embedded.port", String.valueOf(InletApp.freePort()));
        settings.put("inlet.dropfolder.poll-delay-ms", "200");
        // objects written straight into the inbox are found by the reconciliation: look often
        settings.put("inlet.queue.reconcile-interval", "PT2S");
        settings.put("inlet.queue.reconcile-min-age", "PT0S");
        settings.put("inlet.pipeline.sweep-interval", "PT1S");
        return settings;
    }

    @Test
    void aCrashBetweenTheInboxWriteAndTheMoveIngestsTheFileOnce() throws Exception {
        Path drop = dataDir.resolve("drop");
        Map<String, String> settings = settings(drop);
        InletProcess.Result created = InletProcess.run(Map.of("inlet.data-dir", dataDir.toString()), Map.of(),
                "keys", "create", "--tenant", "dropper");
        String key = created.lastStdoutLine();
        JsonlFiles.Generated file = JsonlFiles.contactEvents(files, "dropped", 20_000, 0, true);

        Map<String, String> crashing = new HashMap<>(settings);
        crashing.put("inlet.testing.crash-at", CrashPoints.DROPFOLDER_AFTER_INBOX_WRITE);
        try (InletProcess first = InletProcess.start(crashing, "256m")) {
            Path folder = Files.createDirectories(drop.resolve("dropper/contact_event"));
            Files.copy(file.path(), folder.resolve("export.jsonl.gz"));
            assertThat(first.awaitExit(Duration.ofSeconds(60))).isEqualTo(137);
        }
        assertThat(drop.resolve("dropper/contact_event/export.jsonl.gz")).as("not moved before the crash").exists();
        // someone fixes its mode meanwhile (a chmod changes the inode's change time): still the same file
        Files.setPosixFilePermissions(drop.resolve("dropper/contact_event/export.jsonl.gz"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));

        try (InletProcess second = InletProcess.start(settings, "256m")) {
            Path sidecar = drop.resolve(".done/dropper/contact_event/export.jsonl.gz.file_key");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Files.exists(drop.resolve(".done/dropper/contact_event/export.jsonl.gz"))) {
                assertThat(System.nanoTime()).as("file was not taken again").isLessThan(deadline);
                Thread.sleep(100);
            }
            String fileKey = Files.readString(sidecar).strip();
            JsonNode status = new BulkClient("http://localhost:" + settings.get("camel.server.port"))
                    .awaitFinal(key, fileKey, Duration.ofSeconds(60));
            assertThat(status.get("state").asText()).isEqualTo("completed");
            assertThat(second.log()).contains("was handed over before");

            try (S3Client s3 = InletProcess.s3Client(settings)) {
                while (s3.listObjectsV2(b -> b.bucket("inlet-inbox")).keyCount() > 0) {
                    assertThat(System.nanoTime()).isLessThan(deadline + Duration.ofSeconds(60).toNanos());
                    Thread.sleep(100);
                }
                // One source file under one key, its records once.
                assertThat(s3.listObjectsV2(b -> b.bucket("inlet-archive")).contents())
                        .extracting(o -> o.key()).containsExactly(fileKey);
                assertThat(Lake.sorted(Lake.values(Lake.records(s3, "inlet-lake", "contact_event/tenant=dropper/"), "event_id")))
                        .isEqualTo(Lake.sorted(file.validIds()));
                assertThat(dataDir.resolve("dropfolder-taking")).as("no hand-over left noted").isEmptyDirectory();
            }
        }
    }

}

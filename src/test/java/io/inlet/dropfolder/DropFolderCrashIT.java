package io.inlet.dropfolder;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
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

    @Test
    void aCrashBetweenTheInboxWriteAndTheMoveIngestsTheFileOnce() throws Exception {
        Path drop = dataDir.resolve("drop");
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
            }
        }
    }

}

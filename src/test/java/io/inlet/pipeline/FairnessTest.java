package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.Json;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One tenant's large files do not hold back another tenant's small batches: a worker is always left for them, and a
 * small file that inflates far beyond its size moves to the large-file workers; large files take turns by tenant.
 */
class FairnessTest {

    static InletApp app;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        // Files over 1 MB count as large here, so that test-sized files take the large-file path; a small file may
        // read 2 MiB of JSONL, so that a test-sized gzip file outgrows it; one small-batch worker, which such a file
        // would otherwise hold.
        app = InletApp.start(Map.of("inlet.pipeline.small-source-bytes", "1048576", "inlet.pipeline.workers", "2",
                "inlet.pipeline.small-source-jsonl-bytes", "2097152", "inlet.pipeline.small-batch-workers", "1"));
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void smallBatchesOfOneTenantFinishWhileAnotherTenantsLargeFilesAreProcessedAndLargeFilesTakeTurns() throws Exception {
        Tenant large = app.newTenant("large");
        Tenant small = app.newTenant("small");
        Tenant late = app.newTenant("late");
        BulkClient client = new BulkClient(app.baseUrl());
        // Uploaded first and confirmed back to back: the other tenant's file gets in line while the first tenant's
        // second and third are still waiting.
        List<BulkClient.Upload> largeUploads = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "large" + i, 250_000, 0, true);
            largeUploads.add(client.uploaded(large.key(), "contact_event", file.path()));
        }
        JsonlFiles.Generated lateFile = JsonlFiles.contactEvents(dir, "late", 150_000, 0, true);
        assertThat(Files.size(lateFile.path())).as("a large file").isGreaterThan(1_048_576);
        BulkClient.Upload lateUpload = client.uploaded(late.key(), "contact_event", lateFile.path());
        List<String> largeKeys = new ArrayList<>();
        for (BulkClient.Upload upload : largeUploads) {
            assertThat(client.confirm(large.key(), upload.fileKey()).statusCode()).isEqualTo(200);
            largeKeys.add(upload.fileKey());
        }
        assertThat(client.confirm(late.key(), lateUpload.fileKey()).statusCode()).isEqualTo(200);
        List<String> smallKeys = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> response = app.post("/ingestion/upload-json", small.key(),
                    "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"s" + i + "\",\"email\":\"s@b.co\",\"contact_properties\":{}}]}");
            assertThat(response.statusCode()).isEqualTo(200);
            smallKeys.add(Json.mapper().readTree(response.body()).get("file_key").asText());
        }

        Instant lastSmall = Instant.MIN;
        for (String key : smallKeys) {
            Instant finished = BulkClient.finishedAt(client.awaitFinal(small.key(), key, Duration.ofSeconds(120)));
            lastSmall = finished.isAfter(lastSmall) ? finished : lastSmall;
        }
        List<Instant> largeFinished = new ArrayList<>();
        for (String key : largeKeys) {
            JsonNode status = client.awaitFinal(large.key(), key, Duration.ofSeconds(240));
            assertThat(status.get("state").asText()).isEqualTo("completed");
            largeFinished.add(BulkClient.finishedAt(status));
        }
        largeFinished.sort(null);
        // The large files were confirmed first. Sharing two workers with them, the small batches would wait for the
        // first two large files, which run side by side and finish together; in a lane of their own they are done
        // while the large lane is still on its second file. (Before the first large file is a race on an idle
        // machine: the first was already running while the small batches were being posted.)
        assertThat(lastSmall).as("every small batch done before the second large file").isBefore(largeFinished.get(1));
        // One large worker here. First come, first served, the other tenant's file would wait for all three; taken
        // tenant by tenant in turn, it goes before the first tenant's third (whenever it came relative to the first).
        Instant lateFinished = BulkClient.finishedAt(
                client.awaitFinal(late.key(), lateUpload.fileKey(), Duration.ofSeconds(240)));
        assertThat(lateFinished).as("the other tenant's large file before the third").isBefore(largeFinished.get(2));
    }

    @Test
    void aSmallFileThatInflatesFarBeyondItsSizeGoesOnOnTheLargeLaneAndLandsOnce() throws Exception {
        Tenant busy = app.newTenant("busy");
        Tenant inflating = app.newTenant("inflating");
        Tenant other = app.newTenant("other");
        BulkClient client = new BulkClient(app.baseUrl());
        // keeps the one large-file worker busy, so that a batch moved there waits its turn
        BulkClient.Upload busyUpload = client.uploaded(busy.key(), "contact_event",
                JsonlFiles.contactEvents(dir, "busy", 250_000, 0, true).path());
        // 742 KB as stored, under small-source-bytes; 12.6 MB of JSONL, 17 times that
        JsonlFiles.Generated inflatingFile = JsonlFiles.contactEvents(dir, "inflating", 80_000, 0, true);
        assertThat(Files.size(inflatingFile.path())).as("a small file as stored").isLessThan(1_048_576);
        BulkClient.Upload inflatingUpload = client.uploaded(inflating.key(), "contact_event", inflatingFile.path());
        assertThat(client.confirm(busy.key(), busyUpload.fileKey()).statusCode()).isEqualTo(200);
        assertThat(client.confirm(inflating.key(), inflatingUpload.fileKey()).statusCode()).isEqualTo(200);
        String busyKey = busyUpload.fileKey();
        String inflatingKey = inflatingUpload.fileKey();
        // its batch is on the one small-batch worker by now (the window is 0.2 s); if not, this test proves nothing
        // this time, but cannot fail for it
        Thread.sleep(700);
        HttpResponse<String> response = app.post("/ingestion/upload-json", other.key(),
                "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"o1\",\"email\":\"o@b.co\",\"contact_properties\":{}}]}");
        assertThat(response.statusCode()).isEqualTo(200);

        // while it waits behind the busy file, its manifest says where it runs, for a retry or another instance
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!markedLarge(inflatingKey)) {
            assertThat(System.nanoTime()).as("the inflating file's batch marked for the large lane").isLessThan(deadline);
            Thread.sleep(50);
        }
        Instant otherFinished = BulkClient.finishedAt(client.awaitFinal(other.key(),
                Json.mapper().readTree(response.body()).get("file_key").asText(), Duration.ofSeconds(120)));
        JsonNode inflated = client.awaitFinal(inflating.key(), inflatingKey, Duration.ofSeconds(240));
        // Held on the small-batch worker, the file would finish first (its batch had the worker before the other
        // tenant's was sent); moved after 2 MiB of JSONL, it waits behind the busy tenant's file.
        assertThat(otherFinished).as("the other tenant's batch before the inflating file")
                .isBefore(BulkClient.finishedAt(inflated));
        assertThat(inflated.get("state").asText()).isEqualTo("completed");
        assertThat(inflated.get("records_accepted").asLong()).isEqualTo(80_000);
        // the attempt stopped on the small lane left nothing twice: the records are in the lake once
        assertThat(Lake.sortedValues(app.s3(), "inlet-lake", "contact_event/tenant=" + inflating.id() + "/", "event_id"))
                .isEqualTo(Lake.sorted(inflatingFile.validIds()));
        assertThat(client.awaitFinal(busy.key(), busyKey, Duration.ofSeconds(240)).get("state").asText()).isEqualTo("completed");
    }

    /** Whether a pending batch manifest naming this file says it runs on the large lane. */
    private static boolean markedLarge(String fileKey) throws IOException {
        for (String manifest : Lake.unfinishedBatches(app.s3(), "inlet-lake")) {
            JsonNode batch;
            try {
                batch = Json.mapper().readTree(app.readObject("inlet-lake", manifest));
            } catch (RuntimeException finished) {
                continue; // committed between the listing and the read
            }
            for (JsonNode source : batch.get("sources")) {
                if (source.get("key").asText().equals(fileKey) && "large".equals(batch.path("lane").asText())) {
                    return true;
                }
            }
        }
        return false;
    }
}

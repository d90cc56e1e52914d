package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One tenant's large files do not hold back another tenant's small batches: a worker is always left for them; and
 * large files take turns by tenant.
 */
class FairnessTest {

    static InletApp app;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        // Files over 1 MB count as large here, so that test-sized files take the large-file path.
        app = InletApp.start(Map.of("inlet.pipeline.small-source-bytes", "1048576", "inlet.pipeline.workers", "2"));
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
        List<String> largeKeys = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "large" + i, 250_000, 0, true);
            BulkClient.Upload upload = client.requestUrl(large.key(), "contact_event");
            assertThat(client.put(upload.uploadUrl(), file.path())).isEqualTo(200);
            assertThat(client.confirm(large.key(), upload.fileKey()).statusCode()).isEqualTo(200);
            largeKeys.add(upload.fileKey());
        }
        // one large file of another tenant, confirmed after those three
        JsonlFiles.Generated lateFile = JsonlFiles.contactEvents(dir, "late", 50_000, 0, true);
        BulkClient.Upload lateUpload = client.requestUrl(late.key(), "contact_event");
        assertThat(client.put(lateUpload.uploadUrl(), lateFile.path())).isEqualTo(200);
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
            Instant finished = finishedAt(client.awaitFinal(small.key(), key, Duration.ofSeconds(120)));
            lastSmall = finished.isAfter(lastSmall) ? finished : lastSmall;
        }
        List<Instant> largeFinished = new ArrayList<>();
        for (String key : largeKeys) {
            JsonNode status = client.awaitFinal(large.key(), key, Duration.ofSeconds(240));
            assertThat(status.get("state").asText()).isEqualTo("completed");
            largeFinished.add(finishedAt(status));
        }
        largeFinished.sort(null);
        // The large files were confirmed first. Sharing two workers with them, the small batches would wait for the
        // first two large files, which run side by side and finish together; in a lane of their own they are done
        // while the large lane is still on its second file. (Before the first large file is a race on an idle
        // machine: the first was already running while the small batches were being posted.)
        assertThat(lastSmall).as("every small batch done before the second large file").isBefore(largeFinished.get(1));
        // One large worker here. First come, first served, the other tenant's file would wait for all three; taken
        // tenant by tenant in turn, it goes before the first tenant's third (whenever it came relative to the first).
        Instant lateFinished = finishedAt(client.awaitFinal(late.key(), lateUpload.fileKey(), Duration.ofSeconds(240)));
        assertThat(lateFinished).as("the other tenant's large file before the third").isBefore(largeFinished.get(2));
    }

    private static Instant finishedAt(JsonNode status) {
        return Instant.parse(status.get("finished_at").asText());
    }
}

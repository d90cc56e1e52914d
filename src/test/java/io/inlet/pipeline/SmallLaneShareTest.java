package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

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
import io.inlet.queue.InboxFile;
import io.inlet.queue.WorkQueue;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.Lake;
import org.apache.camel.support.ScheduledPollConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One tenant's heavy small batches never take every small-batch worker: another tenant's batch starts at once on the
 * worker kept free, and finishes first.
 */
class SmallLaneShareTest {

    @TempDir
    Path dir;

    @Test
    void anotherTenantsBatchFindsAWorkerWhileOneTenantsHeavyBatchesWait() throws Exception {
        // Two small-batch workers (a tenant may have one), a file a batch: the heavy tenant's two files are two
        // batches, which would take both workers side by side; two files may wait. The reconciliation at its own
        // pace: the test announces the waiting file again itself.
        try (InletApp app = InletApp.start(Map.of("inlet.pipeline.small-batch-workers", "2",
                "inlet.pipeline.batch.max-sources", "1", "inlet.queue.reconcile-interval", "PT5M",
                "inlet.queue.reconcile-min-age", "PT1M"))) {
            Tenant heavy = app.newTenant("heavy");
            Tenant light = app.newTenant("light");
            BulkClient client = new BulkClient(app.baseUrl());
            List<JsonlFiles.Generated> files = new ArrayList<>();
            List<BulkClient.Upload> uploads = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
            for (int i = 0; i < 2; i++) {
                // about 3.7 MB stored (a small file; from 1 MiB on it reports progress), 63 MB of JSONL: seconds of
                // work even on an idle machine (at 120,000 records it once ended before the light tenant's batch of one
                // record, which then finished 12 ms after it)
                JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "heavy" + i, 400_000, 0, true);
                assertThat(Files.size(file.path())).isBetween(1L << 20, app.settings().pipeline().smallSourceBytes());
                files.add(file);
                uploads.add(client.uploaded(heavy.key(), "contact_event", file.path()));
            }
            for (BulkClient.Upload upload : uploads) {
                assertThat(client.confirm(heavy.key(), upload.fileKey()).statusCode()).isEqualTo(200);
            }
            // one of the heavy tenant's batches is running
            while (uploads.stream().noneMatch(u -> client.state(heavy.key(), u.fileKey()).equals("processing"))) {
                assertThat(System.nanoTime()).as("a heavy file processing").isLessThan(deadline);
                Thread.sleep(50);
            }
            // The other waits for a worker. Announced again three times (as the reconciliation announces a file left
            // unclaimed for long, or another instance's does), it still counts once: the copies go with it.
            int waiting = client.state(heavy.key(), uploads.get(0).fileKey()).equals("processing") ? 1 : 0;
            WorkQueue queue = app.camel().getRegistry().lookupByNameAndType("workQueue", WorkQueue.class);
            InboxFile again = new InboxFile(uploads.get(waiting).fileKey(), Files.size(files.get(waiting).path()));
            for (int i = 0; i < 3; i++) {
                queue.send(List.of(again));
            }
            while (queue.depth().visible() > 0) {
                assertThat(System.nanoTime()).as("the copies received").isLessThan(deadline);
                Thread.sleep(50);
            }

            HttpResponse<String> response = app.post("/ingestion/upload-json", light.key(),
                    "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"l1\",\"email\":\"l@b.co\",\"contact_properties\":{}}]}");
            assertThat(response.statusCode()).isEqualTo(200);
            Instant lightFinished = BulkClient.finishedAt(client.awaitFinal(light.key(),
                    Json.mapper().readTree(response.body()).get("file_key").asText(), Duration.ofSeconds(120)));

            Instant heavyFirst = Instant.MAX;
            for (BulkClient.Upload upload : uploads) {
                JsonNode status = client.awaitFinal(heavy.key(), upload.fileKey(), Duration.ofSeconds(240));
                assertThat(status.get("state").asText()).isEqualTo("completed");
                Instant finished = BulkClient.finishedAt(status);
                heavyFirst = finished.isBefore(heavyFirst) ? finished : heavyFirst;
            }
            // With both workers on the heavy tenant's batches, the light tenant's would wait for one of them to end.
            assertThat(lightFinished).as("the light tenant's batch before any heavy file").isBefore(heavyFirst);
            assertThat(Lake.sortedValues(app.s3(), "inlet-lake", "contact_event/tenant=" + heavy.id() + "/", "event_id"))
                    .isEqualTo(JsonlFiles.sortedValidIds(files.toArray(JsonlFiles.Generated[]::new)));
            // the copies were settled with the file they announced
            while (queue.depth().total() > 0) {
                assertThat(System.nanoTime()).as("every message acknowledged").isLessThan(deadline);
                Thread.sleep(50);
            }
            // and what waits for the workers is bounded where the queue is read: no poll while the small lane is full
            assertThat(((ScheduledPollConsumer) app.camel().getRoute("inbox-queue").getConsumer()).getPollStrategy())
                    .isInstanceOf(ReceiveWhileSmallLaneHasRoom.class);
        }
    }
}

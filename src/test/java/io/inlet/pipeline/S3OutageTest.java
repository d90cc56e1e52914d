package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.Lake;
import io.inlet.testing.TestS3;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * S3 goes away in the middle of a file and comes back: the batch is retried (route redeliveries, then the
 * manifest's retry delay) and the lake ends up exact, with nothing left half-done.
 */
class S3OutageTest {

    @TempDir
    Path s3Dir;
    @TempDir
    Path files;

    private S3Proxy s3;
    private InletApp app;

    @AfterEach
    void stop() throws Exception {
        TestS3.stopAll(app, null, s3);
    }

    @Test
    void aBatchInterruptedByAnS3OutageCompletesExactlyOnceS3IsBack() throws Exception {
        int port = InletApp.freePort();
        s3 = TestS3.onDisk(s3Dir, port, "outage-id", "outage-secret");
        Map<String, String> settings = TestS3.settings(port, port, "outage-id", "outage-secret");
        settings.put("inlet.pipeline.retry-delay", "PT1S");
        settings.put("inlet.lake.part.max-records", "10000");
        app = InletApp.start(settings);
        Tenant tenant = app.newTenant("outage");
        JsonlFiles.Generated file = JsonlFiles.contactEvents(files, "outage", 300_000, 0, true);
        String key = "data/tenants/objects/contact_event/source_system=dataapi/tenant=" + tenant.id()
                + "/dt=2025-07-01-00-00/outage.jsonl.gz";
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key), RequestBody.fromFile(file.path()));

        // Some output written, the file not finished: pull S3 away.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (Lake.partKeys(app.s3(), app.settings().lakeBucket(), "contact_event/tenant=" + tenant.id() + "/").isEmpty()) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(20);
        }
        s3.stop();
        // Longer than the route's redeliveries (2 s + 4 s): the batch goes back to the scanner to be retried.
        Thread.sleep(10_000);
        s3 = TestS3.onDisk(s3Dir, port, "outage-id", "outage-secret");

        JsonNode status = new BulkClient(app.baseUrl()).awaitFinal(tenant.key(), key, Duration.ofSeconds(120));
        assertThat(status.get("state").asText()).isEqualTo("completed");
        while (!Lake.unfinishedBatches(app.s3(), app.settings().lakeBucket()).isEmpty()) {
            assertThat(System.nanoTime()).isLessThan(deadline + Duration.ofSeconds(120).toNanos());
            Thread.sleep(100);
        }
        assertThat(Lake.sorted(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(),
                "contact_event/tenant=" + tenant.id() + "/"), "event_id"))).isEqualTo(Lake.sorted(file.validIds()));
    }
}

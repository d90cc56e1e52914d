package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The small lane's JSONL bound is per file: a batch of many ordinary gzip files reads more than the bound in all, and
 * stays on the small-batch workers (the defaults scaled down 32 times: small-source-bytes 256 KiB, the bound 8 MiB).
 */
class SmallLaneBoundTest {

    @TempDir
    Path dir;

    @Test
    void aBatchOfOrdinaryGzipFilesThatReadsMoreThanTheBoundInAllStaysOnTheSmallLane() throws Exception {
        // Six files make a batch (a window of a minute, so they are gathered however slowly they are confirmed).
        try (InletApp app = InletApp.start(Map.of("inlet.pipeline.small-source-bytes", "262144",
                "inlet.pipeline.small-source-jsonl-bytes", "8388608", "inlet.pipeline.batch.max-sources", "6",
                "inlet.pipeline.batch.window", "PT60S", "inlet.pipeline.workers", "2"))) {
            Tenant busy = app.newTenant("busy");
            Tenant ordinary = app.newTenant("ordinary");
            BulkClient client = new BulkClient(app.baseUrl());
            // keeps the one large-file worker busy: a batch moved there would wait behind it
            BulkClient.Upload busyUpload = client.uploaded(busy.key(), "contact_event",
                    JsonlFiles.contactEvents(dir, "busy", 400_000, 0, true).path());
            List<JsonlFiles.Generated> files = new ArrayList<>();
            List<BulkClient.Upload> uploads = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                // 185 KB stored, 3.2 MB of JSONL (17 times): under the bound each, 19 MB together
                JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "ordinary" + i, 20_000, 0, true);
                assertThat(Files.size(file.path())).as("a small file").isLessThan(262_144);
                files.add(file);
                uploads.add(client.uploaded(ordinary.key(), "contact_event", file.path()));
            }
            assertThat(client.confirm(busy.key(), busyUpload.fileKey()).statusCode()).isEqualTo(200);
            for (BulkClient.Upload upload : uploads) {
                assertThat(client.confirm(ordinary.key(), upload.fileKey()).statusCode()).isEqualTo(200);
            }

            Instant busyFinished = BulkClient.finishedAt(
                    client.awaitFinal(busy.key(), busyUpload.fileKey(), Duration.ofSeconds(240)));
            List<String> lakeKeys = new ArrayList<>();
            for (BulkClient.Upload upload : uploads) {
                JsonNode status = client.awaitFinal(ordinary.key(), upload.fileKey(), Duration.ofSeconds(240));
                assertThat(status.get("state").asText()).isEqualTo("completed");
                assertThat(BulkClient.finishedAt(status)).as("done on the small lane, not after the busy file")
                        .isBefore(busyFinished);
                status.get("lake_keys").forEach(key -> lakeKeys.add(key.asText()));
            }
            // one batch: its files share their part files (else the test would prove less than it says)
            assertThat(lakeKeys.stream().distinct().count()).as("the six files' parts").isLessThan(lakeKeys.size());
            String partition = "contact_event/tenant=" + ordinary.id() + "/";
            assertThat(Lake.sortedValues(app.s3(), "inlet-lake", partition, "event_id"))
                    .isEqualTo(JsonlFiles.sortedValidIds(files.toArray(JsonlFiles.Generated[]::new)));
        }
    }
}

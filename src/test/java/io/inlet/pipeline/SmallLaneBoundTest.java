package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.Lake;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The small lane's JSONL bound is per file: a batch of many ordinary gzip files reads more than the bound in all, and
 * stays on the small-batch workers (the defaults scaled down 32 times: small-source-bytes 256 KiB, the bound 8 MiB).
 * Where the batch ran is read from the routes, not raced against another file's end (on a loaded machine a small
 * batch may well end after a large file, on whichever lane it ran).
 */
class SmallLaneBoundTest {

    @TempDir
    Path dir;

    @Test
    void aBatchOfOrdinaryGzipFilesThatReadsMoreThanTheBoundInAllStaysOnTheSmallLane() throws Exception {
        assertThat(batchOfSixOrdinaryFiles("8388608")).as("runs on the large-file workers").isFalse();
    }

    /** The check above can see a move: with a bound under one file's JSONL, the same batch moves. */
    @Test
    void theSameBatchMovesWhenOneFileReadsMoreThanTheBound() throws Exception {
        assertThat(batchOfSixOrdinaryFiles("1048576")).as("runs on the large-file workers").isTrue();
    }

    /** Whether the batch went to the large-file workers; its six files are completed, in one batch, either way. */
    private boolean batchOfSixOrdinaryFiles(String jsonlBound) throws Exception {
        // Six files make a batch (a window of a minute, so they are gathered however slowly they are confirmed).
        try (InletApp app = InletApp.start(Map.of("inlet.pipeline.small-source-bytes", "262144",
                "inlet.pipeline.small-source-jsonl-bytes", jsonlBound, "inlet.pipeline.batch.max-sources", "6",
                "inlet.pipeline.batch.window", "PT60S"))) {
            NotifyBuilder largeLane = new NotifyBuilder(app.camel()).fromRoute("large-batches").whenReceived(1).create();
            Tenant ordinary = app.newTenant("ordinary");
            BulkClient client = new BulkClient(app.baseUrl());
            List<JsonlFiles.Generated> files = new ArrayList<>();
            List<BulkClient.Upload> uploads = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                // 185 KB stored, 3.2 MB of JSONL (17 times): under the bound each, 19 MB together
                JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "ordinary" + i, 20_000, 0, true);
                assertThat(Files.size(file.path())).as("a small file").isLessThan(262_144);
                files.add(file);
                uploads.add(client.uploaded(ordinary.key(), "contact_event", file.path()));
            }
            for (BulkClient.Upload upload : uploads) {
                assertThat(client.confirm(ordinary.key(), upload.fileKey()).statusCode()).isEqualTo(200);
            }

            List<String> lakeKeys = new ArrayList<>();
            for (BulkClient.Upload upload : uploads) {
                JsonNode status = client.awaitFinal(ordinary.key(), upload.fileKey(), Duration.ofSeconds(240));
                assertThat(status.get("state").asText()).isEqualTo("completed");
                status.get("lake_keys").forEach(key -> lakeKeys.add(key.asText()));
            }
            // one batch: its files share their part files (else the test would prove less than it says)
            assertThat(lakeKeys.stream().distinct().count()).as("the six files' parts").isLessThan(lakeKeys.size());
            String partition = "contact_event/tenant=" + ordinary.id() + "/";
            assertThat(Lake.sortedValues(app.s3(), "inlet-lake", partition, "event_id"))
                    .isEqualTo(JsonlFiles.sortedValidIds(files.toArray(JsonlFiles.Generated[]::new)));
            // a moved batch is received on the large lane before its files' final statuses are written
            return largeLane.matches();
        }
    }
}

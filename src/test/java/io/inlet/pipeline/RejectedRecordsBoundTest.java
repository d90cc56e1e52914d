package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.Json;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file's rejected-records file holds its first rejections up to inlet.pipeline.rejected-max-bytes (before gzip),
 * without gaps, and the status counts every rejection and says how many the file does not hold. (Found by review: a
 * 65 KB gzip file of two-byte lines left a 95 MB rejected-records file in the lake.)
 */
class RejectedRecordsBoundTest {

    private static final int BOUND = 65_536;

    @TempDir
    Path dir;

    @Test
    void theRejectedRecordsFileKeepsTheFirstRejectionsUpToItsBoundAndTheStatusCountsTheRest() throws IOException {
        try (InletApp app = InletApp.start(Map.of("inlet.pipeline.rejected-max-bytes", String.valueOf(BOUND)))) {
            Tenant tenant = app.newTenant("rejects");
            BulkClient client = new BulkClient(app.baseUrl());
            Path file = dir.resolve("ones.jsonl.gz");
            int lines = 5_000;
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
                out.write("1\n".repeat(lines).getBytes(StandardCharsets.US_ASCII));
            }

            BulkClient.Upload upload = client.uploaded(tenant.key(), "contact_event", file);
            assertThat(client.confirm(tenant.key(), upload.fileKey()).statusCode()).isEqualTo(200);
            JsonNode status = client.awaitFinal(tenant.key(), upload.fileKey(), Duration.ofSeconds(60));

            assertThat(status.get("state").asText()).isEqualTo("completed_with_errors");
            assertThat(status.get("records_rejected").asLong()).isEqualTo(lines);
            byte[] rejected = Lake.gunzipped(app.s3(), app.settings().lakeBucket(), status.get("rejected_key").asText());
            assertThat(rejected.length).isLessThanOrEqualTo(BOUND);
            List<String> kept = new String(rejected, StandardCharsets.UTF_8).lines().toList();
            assertThat(kept.size()).isBetween(BOUND / 200, lines - 1);
            assertThat(status.get("rejected_not_kept").asLong()).isEqualTo(lines - kept.size());
            for (int i = 0; i < kept.size(); i++) {
                JsonNode entry = Json.mapper().readTree(kept.get(i));
                assertThat(entry.get("line").asLong()).as("the first rejections, in order").isEqualTo(i + 1);
            }
        }
    }
}

package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletProcess;
import io.inlet.testing.JsonlFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file far larger than the heap streams through: one million records (about 190 MB of JSONL) through a
 * service started with -Xmx128m and -XX:+ExitOnOutOfMemoryError. If anything held the file, the process
 * would die; instead every record is counted into the lake.
 */
class LargeFileIT {

    @TempDir
    Path dataDir;
    @TempDir
    Path files;

    @Test
    void aMillionRecordsThroughA128MegabyteHeap() throws Exception {
        Map<String, String> settings = new HashMap<>();
        settings.put("inlet.data-dir", dataDir.toString());
        settings.put("inlet.dropfolder.dir", dataDir.resolve("drop").toString());
        settings.put("camel.server.port", String.valueOf(InletApp.freePort()));
        settings.put("inlet.s3.embedded.port", String.valueOf(InletApp.freePort()));
        InletProcess.Result created = InletProcess.run(Map.of("inlet.data-dir", dataDir.toString()), Map.of(),
                "keys", "create", "--tenant", "large");
        String key = created.lastStdoutLine();
        JsonlFiles.Generated file = JsonlFiles.contactEvents(files, "large", 1_000_000, 1000, true);

        try (InletProcess service = InletProcess.start(settings, "128m")) {
            BulkClient client = new BulkClient("http://localhost:" + settings.get("camel.server.port"));
            BulkClient.Upload upload = client.requestUrl(key, "contact_event");
            assertThat(client.put(upload.uploadUrl(), file.path())).isEqualTo(200);
            assertThat(client.confirm(key, upload.fileKey()).statusCode()).isEqualTo(200);

            JsonNode status = client.awaitFinal(key, upload.fileKey(), Duration.ofMinutes(5));

            assertThat(service.isAlive()).as(service.log()).isTrue();
            assertThat(status.get("state").asText()).isEqualTo("completed_with_errors");
            assertThat(status.get("records_accepted").asLong()).isEqualTo(999_000);
            assertThat(status.get("records_rejected").asLong()).isEqualTo(1_000);
            assertThat(status.get("bytes_read").asLong()).isEqualTo(Files.size(file.path()));
        }
    }
}

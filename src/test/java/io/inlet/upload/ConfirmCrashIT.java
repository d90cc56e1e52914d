package io.inlet.upload;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.pipeline.CrashPoints;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletProcess;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The service dies (as with kill -9) in the middle of confirm-upload: after "queued" was recorded but before the
 * file left landing, or after the inbox copy but before the landing copy was removed. After a restart the
 * upload must still reach a final state with its records in the lake once, and landing must be empty.
 */
class ConfirmCrashIT {

    private static final String TENANT = "confirmer";

    @TempDir
    Path dataDir;
    @TempDir
    Path files;

    @ParameterizedTest
    @ValueSource(strings = {CrashPoints.CONFIRM_AFTER_STATUS, CrashPoints.CONFIRM_AFTER_COPY})
    void aConfirmationCutShortByACrashIsFinishedAfterRestart(String step) throws Exception {
        Map<String, String> settings = InletProcess.settingsFor(dataDir);
        String key = InletProcess.createKey(settings, TENANT);
        JsonlFiles.Generated file = JsonlFiles.contactEvents(files, "confirmed", 5_000, 10, true);
        BulkClient client = new BulkClient(InletProcess.baseUrl(settings));
        BulkClient.Upload upload;

        Map<String, String> crashing = new HashMap<>(settings);
        crashing.put("inlet.testing.crash-at", step);
        try (InletProcess first = InletProcess.start(crashing, "256m")) {
            upload = client.requestUrl(key, "contact_event");
            assertThat(client.put(upload.uploadUrl(), file.path())).isEqualTo(200);
            CompletableFuture<HttpResponse<String>> confirm = CompletableFuture.supplyAsync(
                    () -> client.confirm(key, upload.fileKey()));
            assertThat(first.awaitExit(Duration.ofSeconds(60))).isEqualTo(137);
            assertThat(confirm).failsWithin(Duration.ofSeconds(30));
        }

        try (InletProcess second = InletProcess.start(settings, "256m"); S3Client s3 = InletProcess.s3Client(settings)) {
            JsonNode status = client.awaitFinal(key, upload.fileKey(), Duration.ofSeconds(60));
            assertThat(status.get("state").asText()).isEqualTo("completed_with_errors");
            assertThat(status.get("records_accepted").asInt()).isEqualTo(file.validIds().size());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (s3.listObjectsV2(b -> b.bucket("inlet-landing")).keyCount() > 0
                    || s3.listObjectsV2(b -> b.bucket("inlet-inbox")).keyCount() > 0) {
                assertThat(System.nanoTime()).as("landing and inbox emptied").isLessThan(deadline);
                Thread.sleep(100);
            }
            assertThat(Lake.sorted(Lake.values(Lake.records(s3, "inlet-lake", "contact_event/tenant=" + TENANT + "/"),
                    "event_id"))).isEqualTo(Lake.sorted(file.validIds()));

            // A second confirm (the sender retrying after its failed request) changes nothing.
            assertThat(client.confirm(key, upload.fileKey()).statusCode()).isEqualTo(200);
            assertThat(client.awaitFinal(key, upload.fileKey(), Duration.ofSeconds(10)).get("records_accepted").asInt())
                    .isEqualTo(file.validIds().size());
        }
    }
}

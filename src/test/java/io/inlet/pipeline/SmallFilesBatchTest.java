package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Hundreds of small files written straight into the inbox and announced at once by the reconciliation,
 * gathered into batches of many files, read ahead side by side in a tiny window, with a large file (streamed) and
 * an unreadable one (withdrawn and run again without it) among them: every record once, in file order within a
 * batch, every status final, the inbox emptied.
 */
class SmallFilesBatchTest {

    private static final int FILES = 300;
    private static final int LARGE = FILES / 2;
    private static final int UNREADABLE = FILES * 3 / 4;

    static InletApp app;

    @BeforeAll
    static void start() {
        app = InletApp.start(Map.of(
                "inlet.pipeline.batch.max-sources", "2000",
                "inlet.pipeline.prefetch-bytes", "4096",
                "inlet.pipeline.small-source-bytes", "4194304",
                // one announcement of all the files, not one every 2 s while they are processed
                "inlet.queue.reconcile-interval", "PT30S"));
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void hundredsOfSmallFilesAreBatchedTogetherLandOnceInOrderAndLeaveTheInbox() throws Exception {
        Tenant tenant = app.newTenant("many");
        String prefix = "data/tenants/objects/contact_event/source_system=crm/tenant=" + tenant.id() + "/dt=2025-03-01-00-00/";
        app.camel().getRouteController().stopRoute("inbox-reconciliation");
        List<String> keys = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int file = 0; file < FILES; file++) {
            String key = prefix + String.format("f%05d.jsonl", file);
            keys.add(key);
            StringBuilder content = new StringBuilder();
            if (file == LARGE) {
                // over the read-ahead limit: streamed when its turn comes
                for (int i = 0; content.length() < 1_200_000; i++) {
                    content.append(event("big-" + i)).append('\n');
                    expected.add("big-" + i);
                }
            } else if (file == UNREADABLE) {
                content.append("\u0000\u0001 not JSONL at all");
            } else {
                for (int i = 0; i < 3; i++) {
                    content.append(event("e" + file + "-" + i)).append('\n');
                    expected.add("e" + file + "-" + i);
                }
            }
            app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key),
                    RequestBody.fromString(content.toString(), StandardCharsets.UTF_8));
            Thread.sleep(file % 100 == 0 ? 2 : 0); // distinct write times keep the planned order the written order
        }
        app.camel().getRouteController().startRoute("inbox-reconciliation");

        BulkClient client = new BulkClient(app.baseUrl());
        for (int file = 0; file < FILES; file++) {
            JsonNode status = client.awaitFinal(tenant.key(), keys.get(file), Duration.ofSeconds(120));
            assertThat(status.get("state").asText()).as(keys.get(file)).isEqualTo(file == UNREADABLE ? "failed" : "completed");
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (app.s3().listObjectsV2(b -> b.bucket(app.settings().inboxBucket()).prefix(prefix)).keyCount() > 0) {
            assertThat(System.nanoTime()).as("inbox emptied").isLessThan(deadline);
            Thread.sleep(100);
        }
        assertThat(app.s3().listObjectsV2Paginator(b -> b.bucket(app.settings().archiveBucket()).prefix(prefix))
                .contents().stream().count()).isEqualTo(FILES);

        // Announced together, the files are gathered into batches of many files each (one per 0.2 s window of
        // messages); within a batch, records keep the order of the files and of their lines.
        List<String> parts = Lake.partKeys(app.s3(), app.settings().lakeBucket(), "contact_event/tenant=" + tenant.id() + "/");
        Map<String, List<String>> byBatch = new TreeMap<>();
        for (String part : parts) {
            String batch = part.replaceAll(".*/part-(\\d{8}T\\d{9}Z-[0-9a-f]+)-.*$", "$1");
            byBatch.computeIfAbsent(batch, b -> new ArrayList<>())
                    .addAll(Lake.values(Lake.gzipJsonLines(app.s3(), app.settings().lakeBucket(), part), "event_id"));
        }
        assertThat(byBatch.size()).as("batches for %d files", FILES).isLessThanOrEqualTo(FILES / 10);
        Map<String, Integer> position = new java.util.HashMap<>();
        for (int i = 0; i < expected.size(); i++) {
            position.put(expected.get(i), i);
        }
        List<String> all = new ArrayList<>();
        for (List<String> ids : byBatch.values()) {
            all.addAll(ids);
            List<Integer> positions = ids.stream().map(position::get).toList();
            assertThat(positions).as("a batch's records in file and line order").isSorted();
        }
        assertThat(all).as("every record once").containsExactlyInAnyOrderElementsOf(expected);
    }

    private static String event(String id) {
        return "{\"event_id\":\"" + id + "\",\"contact_id\":\"c\",\"event\":\"e\",\"event_timestamp\":\"2025-03-01T10:00:00Z\","
                + "\"event_properties\":{}}";
    }
}

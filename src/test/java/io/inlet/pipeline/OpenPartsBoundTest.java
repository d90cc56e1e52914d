package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
 * A file whose records span more days than a batch may keep parts open for (a backfill, or a file made to exhaust the
 * service with one day per record): parts are closed early, least recently written first, and every record still
 * lands once, in its own day's partition. A file whose records would need more parts than one file may have gets
 * the rest of its records rejected, each saying why, instead of a part (an S3 PUT and a status entry) per record.
 */
class OpenPartsBoundTest {

    private static final int DAYS = 40;
    /** Above the 400 parts of the first test's file (every record closes a part), below the second's 500 days. */
    private static final int PARTS_PER_FILE = 450;
    private static InletApp app;

    @BeforeAll
    static void start() {
        app = InletApp.start(Map.of("inlet.lake.max-open-parts", "8",
                "inlet.lake.max-parts-per-file", String.valueOf(PARTS_PER_FILE)));
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void recordsOverMoreDaysThanOpenPartsLandOnceInTheirDays() {
        Tenant tenant = app.newTenant("days");
        LocalDate first = LocalDate.of(2024, 3, 1);
        StringBuilder lines = new StringBuilder();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 10 * DAYS; i++) {
            // the days take turns, so every part is closed and opened again many times
            String id = "e-" + i;
            ids.add(id);
            lines.append(event(id, first.plusDays(i % DAYS)));
        }
        String key = putInInbox(tenant, "years.jsonl", lines);

        JsonNode status = new BulkClient(app.baseUrl()).awaitFinal(tenant.key(), key, Duration.ofSeconds(60));

        assertThat(status.get("state").asText()).isEqualTo("completed");
        String prefix = "contact_event/tenant=" + tenant.id() + "/";
        List<JsonNode> records = Lake.records(app.s3(), app.settings().lakeBucket(), prefix);
        assertThat(Lake.values(records, "event_id")).containsExactlyInAnyOrderElementsOf(ids);
        for (int day = 0; day < DAYS; day++) {
            String dt = first.plusDays(day).toString();
            assertThat(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(), prefix + "dt=" + dt + "/"),
                    "event_timestamp")).as(dt).hasSize(10).allMatch(t -> t.startsWith(dt));
        }
        assertThat(Lake.partKeys(app.s3(), app.settings().lakeBucket(), prefix))
                .as("parts closed early and opened again").hasSizeGreaterThan(DAYS);
    }

    @Test
    void recordsThatWouldNeedMorePartsThanAFileMayHaveAreRejectedSayingWhy() {
        Tenant tenant = app.newTenant("spread");
        LocalDate first = LocalDate.of(2020, 1, 1);
        StringBuilder lines = new StringBuilder();
        List<String> kept = new ArrayList<>();
        for (int day = 0; day < 500; day++) {
            String id = "d-" + day;
            if (day < PARTS_PER_FILE) {
                kept.add(id);
            }
            lines.append(event(id, first.plusDays(day)));
        }
        String key = putInInbox(tenant, "spread.jsonl", lines);

        JsonNode status = new BulkClient(app.baseUrl()).awaitFinal(tenant.key(), key, Duration.ofSeconds(120));

        assertThat(status.get("state").asText()).isEqualTo("completed_with_errors");
        assertThat(status.get("records_accepted").asLong()).isEqualTo(PARTS_PER_FILE);
        assertThat(status.get("records_rejected").asLong()).isEqualTo(500 - PARTS_PER_FILE);
        assertThat(status.get("lake_keys")).hasSize(PARTS_PER_FILE);
        JsonNode firstRejection = status.get("first_rejections").get(0);
        assertThat(firstRejection.get("line").asLong()).isEqualTo(PARTS_PER_FILE + 1);
        assertThat(firstRejection.get("pointer").asText()).isEqualTo("/event_timestamp");
        assertThat(firstRejection.get("message").asText()).contains(PARTS_PER_FILE + " lake files")
                .contains("inlet.lake.max-parts-per-file");
        String prefix = "contact_event/tenant=" + tenant.id() + "/";
        assertThat(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(), prefix), "event_id"))
                .containsExactlyInAnyOrderElementsOf(kept);
    }

    private static String event(String id, LocalDate day) {
        return "{\"event_type\":\"contact_event\",\"event_id\":\"" + id
                + "\",\"contact_id\":\"c-1\",\"event\":\"visited\",\"event_timestamp\":\"" + day
                + "T12:00:00Z\",\"event_properties\":{}}\n";
    }

    /** The lines as a file another system wrote straight into the inbox; its key. */
    private static String putInInbox(Tenant tenant, String name, CharSequence lines) {
        String key = "data/tenants/objects/contact_event/source_system=backfill/tenant=" + tenant.id()
                + "/dt=2025-01-31-23-59/" + name;
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key),
                RequestBody.fromString(lines.toString(), StandardCharsets.UTF_8));
        return key;
    }
}

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
 * lands once, in its own day's partition.
 */
class OpenPartsBoundTest {

    private static final int DAYS = 40;
    private static InletApp app;

    @BeforeAll
    static void start() {
        app = InletApp.start(Map.of("inlet.lake.max-open-parts", "8"));
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
            lines.append("{\"event_type\":\"contact_event\",\"event_id\":\"").append(id)
                    .append("\",\"contact_id\":\"c-1\",\"event\":\"visited\",\"event_timestamp\":\"")
                    .append(first.plusDays(i % DAYS)).append("T12:00:00Z\",\"event_properties\":{}}\n");
        }
        String key = "data/tenants/objects/contact_event/source_system=backfill/tenant=" + tenant.id()
                + "/dt=2025-01-31-23-59/years.jsonl";
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key),
                RequestBody.fromString(lines.toString(), StandardCharsets.UTF_8));

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
}

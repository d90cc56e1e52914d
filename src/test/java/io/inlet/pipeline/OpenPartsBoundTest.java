package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.Json;
import io.inlet.schema.RecordValidator;
import io.inlet.schema.Stream;
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
 * lands once, in its own day's partition. A file whose records would need more parts than its size allows (a few per
 * record at most, never past the bound of any file) gets those records rejected, each saying why, instead of a part
 * (an S3 PUT and a status entry) per record; an upload-json batch over the same rule is refused whole when it arrives.
 * The sender's dry run of such a file says what the pipeline then does.
 */
class OpenPartsBoundTest {

    private static final int DAYS = 40;
    private static final int OPEN_PARTS = 8;
    /** Any file may go to this many parts ... */
    private static final int FREE_PARTS = 40;
    /** ... and one more for every this many of its records ... */
    private static final int RECORDS_PER_EXTRA = 2;
    /** ... but never more than this. */
    private static final int PARTS_PER_FILE = 120;
    private static InletApp app;

    @BeforeAll
    static void start() {
        app = InletApp.start(Map.of("inlet.lake.max-open-parts", String.valueOf(OPEN_PARTS),
                "inlet.lake.free-parts-per-file", String.valueOf(FREE_PARTS),
                "inlet.lake.records-per-extra-part", String.valueOf(RECORDS_PER_EXTRA),
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
            // the days take turns, five records at a time, so every part is closed and opened again many times
            String id = "e-" + i;
            ids.add(id);
            lines.append(event(id, first.plusDays(i / 5 % DAYS)));
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
        assertThat(dryRun(lines)).isEqualTo(new DryRun(ids.size(), 0, null));
    }

    @Test
    void aFewRecordsOverManyDaysGetAPartForEveryFewRecordsTheRestAreRejectedSayingWhy() {
        Tenant tenant = app.newTenant("spread");
        LocalDate first = LocalDate.of(2020, 1, 1);
        StringBuilder lines = new StringBuilder();
        int days = 120;
        for (int day = 0; day < days; day++) {
            lines.append(event("d-" + day, first.plusDays(day)));
        }
        String key = putInInbox(tenant, "spread.jsonl", lines);

        JsonNode status = new BulkClient(app.baseUrl()).awaitFinal(tenant.key(), key, Duration.ofSeconds(120));

        // a new part for every record: the first 80 fit 40 + 80 / 2; after that every other record earns one
        long allowed = FREE_PARTS + days / RECORDS_PER_EXTRA;
        assertThat(allowed).isLessThan(PARTS_PER_FILE);
        assertThat(status.get("state").asText()).isEqualTo("completed_with_errors");
        assertThat(status.get("records_accepted").asLong()).isEqualTo(allowed);
        assertThat(status.get("records_rejected").asLong()).isEqualTo(days - allowed);
        assertThat(status.get("lake_keys")).hasSize((int) allowed);
        JsonNode firstRejection = status.get("first_rejections").get(0);
        assertThat(firstRejection.get("line").asLong()).isEqualTo(81);
        assertThat(firstRejection.get("pointer").asText()).isEqualTo("/event_timestamp");
        assertThat(firstRejection.get("message").asText()).contains("fill 80 lake files")
                .contains("its first 81 valid records").contains("inlet.lake.free-parts-per-file");
        String prefix = "contact_event/tenant=" + tenant.id() + "/";
        assertThat(Lake.records(app.s3(), app.settings().lakeBucket(), prefix)).hasSize((int) allowed);
        assertThat(dryRun(lines)).isEqualTo(DryRun.of(status));
    }

    @Test
    void noFileGoesPastTheBoundWhateverItsSize() {
        Tenant tenant = app.newTenant("large");
        LocalDate first = LocalDate.of(2020, 1, 1);
        StringBuilder lines = new StringBuilder();
        List<String> kept = new ArrayList<>();
        // enough records first, all on one day, that the size no longer limits; then more days than the bound, one
        // record each
        for (int i = 0; i < 2 * PARTS_PER_FILE; i++) {
            kept.add("a-" + i);
            lines.append(event("a-" + i, first));
        }
        for (int day = 1; day <= PARTS_PER_FILE + 50; day++) {
            String id = "d-" + day;
            if (day < PARTS_PER_FILE) {
                kept.add(id);
            }
            lines.append(event(id, first.plusDays(day)));
        }
        String key = putInInbox(tenant, "large.jsonl", lines);

        JsonNode status = new BulkClient(app.baseUrl()).awaitFinal(tenant.key(), key, Duration.ofSeconds(120));

        assertThat(status.get("state").asText()).isEqualTo("completed_with_errors");
        assertThat(status.get("records_accepted").asLong()).isEqualTo(kept.size());
        assertThat(status.get("lake_keys")).hasSize(PARTS_PER_FILE);
        JsonNode firstRejection = status.get("first_rejections").get(0);
        assertThat(firstRejection.get("line").asLong()).isEqualTo(2 * PARTS_PER_FILE + PARTS_PER_FILE);
        assertThat(firstRejection.get("message").asText()).contains("fill " + PARTS_PER_FILE + " lake files")
                .contains("at most " + PARTS_PER_FILE).contains(".max-parts-per-file");
        String prefix = "contact_event/tenant=" + tenant.id() + "/";
        assertThat(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(), prefix), "event_id"))
                .containsExactlyInAnyOrderElementsOf(kept);
        assertThat(dryRun(lines)).isEqualTo(DryRun.of(status));
    }

    @Test
    void anUploadJsonBatchOverMoreDaysThanItMayCoverIsRefusedWholeNamingTheRecords() throws Exception {
        Tenant tenant = app.newTenant("batch");
        LocalDate first = LocalDate.of(2021, 6, 1);
        // 20 records: 40 + 20 / 2 days by size, but a batch keeps at most OPEN_PARTS parts open, so 8 days
        StringBuilder over = new StringBuilder("{\"stream\":\"contact_event\",\"data\":[");
        StringBuilder within = new StringBuilder(over);
        for (int i = 0; i < 20; i++) {
            String comma = i == 0 ? "" : ",";
            over.append(comma).append(event("o-" + i, first.plusDays(i / 2)).strip());
            within.append(comma).append(event("w-" + i, first.plusDays(i % OPEN_PARTS)).strip());
        }

        HttpResponse<String> refused = app.post("/ingestion/upload-json", tenant.key(), over.append("]}").toString());
        HttpResponse<String> stored = app.post("/ingestion/upload-json", tenant.key(), within.append("]}").toString());

        assertThat(refused.statusCode()).isEqualTo(422);
        JsonNode body = Json.mapper().readTree(refused.body());
        assertThat(body.get("message").asText()).startsWith("4 of 20 records fall on days past the 8")
                .endsWith("nothing was stored");
        assertThat(body.get("errors").findValuesAsText("index")).containsExactly("16", "17", "18", "19");
        assertThat(body.get("errors").get(0).get("pointer").asText()).isEqualTo("/event_timestamp");
        assertThat(body.get("errors").get(0).get("message").asText()).contains("past the first 8 days");
        assertThat(stored.statusCode()).as(stored.body()).isEqualTo(200);
        String fileKey = Json.mapper().readTree(stored.body()).get("file_key").asText();
        assertThat(new BulkClient(app.baseUrl()).awaitFinal(tenant.key(), fileKey, Duration.ofSeconds(60))
                .get("records_accepted").asLong()).isEqualTo(20);
        String prefix = "contact_event/tenant=" + tenant.id() + "/";
        assertThat(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(), prefix), "event_id"))
                .allMatch(id -> id.startsWith("w-")).hasSize(20);
    }

    /** What a dry run of a file makes of it: its counts and first rejection ("line pointer message"). */
    private record DryRun(long accepted, long rejected, String firstRejection) {
        static DryRun of(JsonNode status) {
            JsonNode first = status.get("first_rejections").get(0);
            return new DryRun(status.get("records_accepted").asLong(), status.get("records_rejected").asLong(),
                    first.get("line").asLong() + " " + first.get("pointer").asText() + " " + first.get("message").asText());
        }
    }

    /** The sender's dry run (the CLI's validate) of the same lines, under the same settings. */
    private static DryRun dryRun(CharSequence lines) {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<String> rejections = new ArrayList<>();
            FileCheck.Outcome outcome = new FileCheck(Json.mapper(), new RecordValidator(), Stream.CONTACT_EVENT,
                    app.settings().pipeline(), pool, 4).check(
                    new ByteArrayInputStream(lines.toString().getBytes(StandardCharsets.UTF_8)),
                    (entry, line, errors) -> rejections.add(line + " " + errors.get(0).pointer() + " "
                            + errors.get(0).message()));
            assertThat(outcome.failureReason()).isNull();
            return new DryRun(outcome.accepted(), outcome.rejected(), rejections.isEmpty() ? null : rejections.get(0));
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            pool.shutdownNow();
        }
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

package io.inlet.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Json;
import io.inlet.api.ApiError;
import io.inlet.schema.Stream;
import io.inlet.storage.FileKey;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A tenant with 10,000 uploads (and other tenants with theirs) still gets a page of its newest uploads in well under a
 * second. The uploads' status documents and index entries are written straight into the lake through the S3 protocol
 * by the service's own {@link StatusStore} (10,000 uploads through the API would take minutes), so they have
 * exactly the form the service gives them. Writing them takes one to two minutes on 2 cores, too long for every
 * build: it runs when asked, {@code mvn -B test -Dtest=UploadListScaleTest -Dinlet.list-scale.uploads=10000}.
 */
class UploadListScaleTest {

    private static final ObjectMapper JSON = Json.mapper();
    private static final int UPLOADS = Integer.getInteger("inlet.list-scale.uploads", 0);
    private static final int OTHER_TENANTS = 4;
    private static final int OTHERS_UPLOADS = 500;
    private static final Instant FIRST = Instant.parse("2026-01-01T00:00:00Z");

    static InletApp app;
    static Tenant tenant;

    @BeforeAll
    static void writeUploads() throws Exception {
        Assumptions.assumeTrue(UPLOADS > 0, "the listing at scale runs when asked: -Dinlet.list-scale.uploads=10000");
        app = InletApp.shared();
        tenant = app.newTenant("scale");
        long started = System.nanoTime();
        ExecutorService writers = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> writes = new ArrayList<>();
            for (int i = 0; i < UPLOADS; i++) {
                int n = i;
                writes.add(writers.submit(() -> write(tenant.id(), n)));
            }
            for (int t = 0; t < OTHER_TENANTS; t++) {
                String other = "scale-other-" + t;
                for (int i = 0; i < OTHERS_UPLOADS; i++) {
                    int n = i;
                    writes.add(writers.submit(() -> write(other, n)));
                }
            }
            for (Future<?> write : writes) {
                write.get();
            }
        } finally {
            writers.shutdown();
            writers.awaitTermination(1, TimeUnit.MINUTES);
        }
        System.out.printf("UploadListScaleTest: wrote %d uploads of one tenant and %d of others in %d ms%n", UPLOADS,
                OTHER_TENANTS * OTHERS_UPLOADS, (System.nanoTime() - started) / 1_000_000);
    }

    /** Upload {@code n} of the tenant, created {@code n} seconds after the first, as the pipeline leaves it. */
    private static void write(String tenantId, int n) {
        Instant created = FIRST.plusSeconds(n);
        FileKey key = FileKey.create(Stream.CONTACT_EVENT, FileKey.SOURCE_API, tenantId, created, true);
        StatusStore statuses = new StatusStore(app.s3(), app.settings().lakeBucket(), JSON,
                Clock.fixed(created.plusSeconds(2), ZoneOffset.UTC), new UploadIndex(app.s3(), app.settings().lakeBucket()));
        UploadStatus status = UploadStatus.of(key.key(), tenantId, key.stream().wireName(), UploadState.AWAITING_UPLOAD);
        status.createdAt = created.toString();
        status.uploadUrlExpiresAt = created.plus(Duration.ofHours(12)).toString();
        status.confirmedAt = created.plusSeconds(1).toString();
        status.startProcessing(1_000_000 + n, created.plusSeconds(1).toString());
        status.state = n % 10 == 0 ? UploadState.COMPLETED_WITH_ERRORS : UploadState.COMPLETED;
        status.bytesRead = status.bytesTotal;
        status.recordsAccepted = 5_000L;
        status.recordsRejected = n % 10 == 0 ? 1L : 0L;
        if (n % 10 == 0) {
            status.firstRejections.add(ApiError.atLine(7, "/contact_id", "is required but missing"));
            status.rejectedKey = "_rejected/" + key.key() + ".rejected.jsonl.gz";
        }
        status.lakeBucket = app.settings().lakeBucket();
        status.lakeKeys = List.of("contact_event/tenant=" + tenantId + "/dt=2025-06-01/part-20260101T000000Z-0123456789ab-00000.jsonl.gz");
        status.finishedAt = created.plusSeconds(2).toString();
        statuses.write(status);
    }

    @Test
    void aPageOfTheNewestAnswersInWellUnderASecond() throws IOException {
        page("limit=50");
        long best = Long.MAX_VALUE;
        JsonNode first = null;
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            long started = System.nanoTime();
            first = page("limit=50");
            long millis = (System.nanoTime() - started) / 1_000_000;
            times.add(millis);
            best = Math.min(best, millis);
        }
        long started = System.nanoTime();
        JsonNode largest = page("limit=200");
        long largestMillis = (System.nanoTime() - started) / 1_000_000;
        started = System.nanoTime();
        JsonNode next = page("limit=50&cursor=" + first.get("next_cursor").asText());
        long nextMillis = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("UploadListScaleTest: %d uploads; a page of 50: %s ms; of 200: %d ms; the next 50: %d ms%n",
                UPLOADS, times, largestMillis, nextMillis);

        assertThat(first.get("uploads")).hasSize(50);
        assertThat(first.at("/uploads/0/created_at").asText()).isEqualTo(FIRST.plusSeconds(UPLOADS - 1).toString());
        assertThat(first.at("/uploads/0/records_accepted").asLong()).isEqualTo(5_000);
        assertThat(next.at("/uploads/0/created_at").asText()).isEqualTo(FIRST.plusSeconds(UPLOADS - 51).toString());
        assertThat(largest.get("uploads")).hasSize(200);
        assertThat(times).allMatch(millis -> millis < 500);
        assertThat(largestMillis).isLessThan(1000);
    }

    private static JsonNode page(String query) throws IOException {
        HttpResponse<String> response = app.get("/ingestion/uploads?" + query, tenant.key());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }
}

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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Many uploads of one tenant, among other tenants' uploads: walked page by page, the listing gives every one of the
 * tenant's uploads once, newest first, and none of another tenant's. The uploads' status documents and index entries
 * are written straight into the lake through the S3 protocol by the service's own {@link StatusStore} (uploads
 * through the API would take far longer), so they have exactly the form the service gives them.
 *
 * <p>The test suite runs it with 300 uploads. {@code bench/upload-list.sh} runs it with 10,000 (writing them takes
 * one to two minutes on 2 cores) for the figures in docs/PERFORMANCE.md: it prints how long pages took next to the
 * cheapest read of the API, one status document, measured in the same run. Nothing here asserts a time.
 */
class UploadListScaleTest {

    private static final ObjectMapper JSON = Json.mapper();
    private static final int UPLOADS = Integer.getInteger("inlet.list-scale.uploads", 300);
    private static final int OTHER_TENANTS = 4;
    private static final int OTHERS_UPLOADS = Math.max(10, UPLOADS / 20);
    private static final Instant FIRST = Instant.parse("2026-01-01T00:00:00Z");

    static InletApp app;
    static Tenant tenant;

    @BeforeAll
    static void writeUploads() throws Exception {
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
    void everyUploadOfTheTenantIsListedOnceNewestFirstPageByPage() throws IOException {
        List<Long> firstPage = new ArrayList<>();
        JsonNode first = null;
        for (int i = 0; i < 5; i++) {
            long started = System.nanoTime();
            first = page("limit=50");
            firstPage.add((System.nanoTime() - started) / 1_000_000);
        }
        assertThat(first.get("uploads")).hasSize(50);
        assertThat(first.at("/uploads/0/records_accepted").asLong()).isEqualTo(5_000);
        long started = System.nanoTime();
        assertThat(page("limit=200").get("uploads")).hasSize(Math.min(200, UPLOADS));
        long largest = (System.nanoTime() - started) / 1_000_000;

        // Walk every page: each upload once, each created a second before the one listed before it.
        List<Long> pageMillis = new ArrayList<>();
        int listed = 0;
        String cursor = null;
        do {
            started = System.nanoTime();
            JsonNode page = page("limit=50" + (cursor == null ? "" : "&cursor=" + cursor));
            pageMillis.add((System.nanoTime() - started) / 1_000_000);
            for (JsonNode upload : page.get("uploads")) {
                assertThat(upload.get("created_at").asText()).isEqualTo(FIRST.plusSeconds(UPLOADS - 1 - listed).toString());
                assertThat(upload.get("file_key").asText()).contains("/tenant=" + tenant.id() + "/");
                listed++;
            }
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
        } while (cursor != null);
        assertThat(listed).isEqualTo(UPLOADS);

        // The baseline of the same run: the cheapest read of the API, one status document.
        String newest = first.at("/uploads/0/file_key").asText();
        List<Long> statusMillis = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            started = System.nanoTime();
            HttpResponse<String> status = app.get("/ingestion/uploads/status?file_key=" + newest, tenant.key());
            statusMillis.add((System.nanoTime() - started) / 1_000_000);
            assertThat(status.statusCode()).isEqualTo(200);
        }
        List<Long> sorted = pageMillis.stream().sorted().toList();
        System.out.printf("UploadListScaleTest: %d uploads of the tenant (%d of %d others); the first page of 50: %s ms; "
                + "a page of 200: %d ms; all %d pages of 50 walked: median %d ms, slowest %d ms; baseline, one status "
                + "document: %s ms%n", UPLOADS, OTHER_TENANTS * OTHERS_UPLOADS, OTHER_TENANTS, firstPage, largest,
                pageMillis.size(), sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1), statusMillis);
    }

    private static JsonNode page(String query) throws IOException {
        HttpResponse<String> response = app.get("/ingestion/uploads?" + query, tenant.key());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }
}

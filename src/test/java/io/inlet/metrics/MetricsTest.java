package io.inlet.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import io.inlet.Json;
import io.inlet.Settings;
import io.inlet.limits.Backlog;
import io.inlet.queue.WorkQueue;
import io.inlet.schema.Stream;
import io.inlet.storage.FileKey;
import io.inlet.testing.Await;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.Scrape;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/** GET /observe/metrics on the running service: scrape, send records, scrape again, compare. */
class MetricsTest {

    static final String TWO_CONTACTS = """
            {"stream":"contact","data":[
              {"type":"contact","contact_id":"c-1","email":"jane@acme.com","contact_properties":{}},
              {"type":"contact","contact_id":"c-2","email":"joe@acme.com","contact_properties":{}}]}""";

    /** Three events, the second without its contact_id. */
    static final String EVENTS = """
            {"event_type":"contact_event","event_id":"e-1","contact_id":"c-1","event":"signed_up","event_timestamp":"2025-06-27T07:26:00Z","event_properties":{}}
            {"event_type":"contact_event","event_id":"e-2","event":"signed_up","event_timestamp":"2025-06-27T07:27:00Z","event_properties":{}}
            {"event_type":"contact_event","event_id":"e-3","contact_id":"c-3","event":"signed_up","event_timestamp":"2025-06-27T07:28:00Z","event_properties":{}}
            """;

    static final String UPLOAD_JSON = "/ingestion/upload-json";

    static InletApp app;

    @BeforeAll
    static void start() {
        app = InletApp.shared();
    }

    @Test
    void metricsChangeAsRecordsFlow() throws Exception {
        Tenant tenant = app.newTenant("metrics");
        String[] contacts = {"tenant", tenant.id(), "stream", "contact"};
        String[] events = {"tenant", tenant.id(), "stream", "contact_event"};
        Scrape before = Scrape.of(app);

        var accepted = app.post(UPLOAD_JSON, tenant.key(), TWO_CONTACTS);
        assertThat(accepted.statusCode()).isEqualTo(200);
        String fileKey = Json.mapper().readTree(accepted.body()).get("file_key").asText();
        assertThat(app.post(UPLOAD_JSON, null, TWO_CONTACTS).statusCode()).isEqualTo(401);
        Path dropped = Files.createDirectories(app.dropFolder().resolve(tenant.id()).resolve("contact_event"))
                .resolve("events.jsonl");
        Files.writeString(dropped, EVENTS);
        long droppedBytes = Files.size(dropped);

        Await.until("both files in a final state, as counted", Duration.ofSeconds(60),
                () -> Scrape.of(app).value("inlet_files_processed_total", "tenant", tenant.id()) == 2);
        Scrape after = Scrape.of(app);

        assertThat(after.value("inlet_received_files_total", with(contacts, "via", "upload-json"))).isEqualTo(1);
        assertThat(after.value("inlet_received_bytes_total", with(contacts, "via", "upload-json")))
                .isEqualTo(app.readUploaded(fileKey).length);
        assertThat(after.value("inlet_received_files_total", with(events, "via", "drop-folder"))).isEqualTo(1);
        assertThat(after.value("inlet_received_bytes_total", with(events, "via", "drop-folder"))).isEqualTo(droppedBytes);
        assertThat(after.value("inlet_records_accepted_total", contacts)).isEqualTo(2);
        assertThat(after.value("inlet_records_rejected_total", contacts)).isEqualTo(0);
        assertThat(after.value("inlet_records_accepted_total", events)).isEqualTo(2);
        assertThat(after.value("inlet_records_rejected_total", events)).isEqualTo(1);
        assertThat(after.value("inlet_files_processed_total", with(contacts, "state", "completed"))).isEqualTo(1);
        assertThat(after.value("inlet_files_processed_total", with(events, "state", "completed_with_errors"))).isEqualTo(1);
        assertThat(before.has("inlet_records_accepted_total", "tenant", tenant.id())).isFalse();

        // HTTP requests by route and status, the error answer included, and their latency histogram
        String[] ok = {"route", UPLOAD_JSON, "method", "POST", "code", "200"};
        String[] unauthorized = {"route", UPLOAD_JSON, "method", "POST", "code", "401"};
        assertThat(delta(before, after, "vertx_http_server_requests_total", ok)).isEqualTo(1);
        assertThat(delta(before, after, "vertx_http_server_requests_total", unauthorized)).isEqualTo(1);
        assertThat(delta(before, after, "vertx_http_server_response_time_seconds_bucket", with(ok, "le", "+Inf")))
                .isEqualTo(1);
        assertThat(after.has("vertx_http_server_response_time_seconds_bucket", with(ok, "le", "0.1"))).isTrue();

        // S3 calls by operation and bucket role: at least the two inbox writes, the reads and the archive copies
        String[] inboxPuts = {"operation", "PutObject", "bucket", "inbox", "status", "200"};
        assertThat(delta(before, after, "inlet_s3_request_seconds_count", inboxPuts)).isGreaterThanOrEqualTo(2);
        assertThat(delta(before, after, "inlet_s3_request_seconds_bucket", with(inboxPuts, "le", "+Inf")))
                .isGreaterThanOrEqualTo(2);
        assertThat(delta(before, after, "inlet_s3_request_seconds_count", "operation", "CopyObject", "bucket", "archive"))
                .isGreaterThanOrEqualTo(2);
        assertThat(after.has("inlet_s3_request_seconds_count", "bucket", "lake")).isTrue();

        // Camel's route meters, the JVM's, and the backlog probe's
        // the request without a key was refused from its head, before the route
        assertThat(delta(before, after, "camel_exchanges_total", "routeId", "upload-json")).isEqualTo(1);
        assertThat(delta(before, after, "camel_exchanges_total", "routeId", "process-batch")).isGreaterThanOrEqualTo(1);
        assertThat(after.has("camel_route_policy_seconds_count", "routeId", "read-source")).isTrue();
        assertThat(after.value("jvm_memory_used_bytes", "area", "heap")).isPositive();
        assertThat(after.has("jvm_gc_pause_seconds_count") || after.has("jvm_gc_memory_allocated_bytes_total")).isTrue();
        assertThat(after.has("jvm_threads_live_threads")).isTrue();
        for (String gauge : new String[] {"inlet_backlog_objects", "inlet_backlog_bytes", "inlet_processing_lag_seconds",
                "inlet_backlog_scan_truncated"}) {
            assertThat(after.has(gauge)).as(gauge).isTrue();
        }
        assertThat(after.value("inlet_backlog_probe_up", "target", "inbox")).isEqualTo(1);
        assertThat(after.value("inlet_backlog_probe_up", "target", "queue")).isEqualTo(1);
        assertThat(after.has("inlet_queue_messages", "state", "visible")).isTrue();
        assertThat(after.has("inlet_queue_messages", "state", "in_flight")).isTrue();
        assertThat(after.has("inlet_queue_held")).isTrue();
    }

    @Test
    void unmatchedPathsAreOneSeries() {
        Scrape before = Scrape.of(app);
        assertThat(app.get("/no/such/" + UUID.randomUUID(), null).statusCode()).isEqualTo(404);
        assertThat(app.get("/no/such/" + UUID.randomUUID(), null).statusCode()).isEqualTo(404);
        Scrape after = Scrape.of(app);
        assertThat(delta(before, after, "vertx_http_server_requests_total", "route", "unmatched", "code", "404"))
                .isEqualTo(2);
        assertThat(after.matching("vertx_http_server_requests_total").stream()
                .noneMatch(s -> s.labels().containsKey("path") || s.labels().containsKey("remote"))).isTrue();
    }

    @Test
    void madeUpMethodsAreOneSeries() {
        String method = "MADEUP" + UUID.randomUUID().toString().substring(0, 8).toUpperCase();
        Scrape before = Scrape.of(app);
        app.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + UPLOAD_JSON)).method(method, HttpRequest.BodyPublishers.noBody())
                .build());
        Scrape after = Scrape.of(app);
        assertThat(after.matching("vertx_http_server_requests_total").stream()
                .noneMatch(s -> s.labels().containsValue(method))).isTrue();
        assertThat(after.matching("vertx_http_server_requests_total").stream()
                .filter(s -> "other".equals(s.labels().get("method"))).mapToDouble(s -> s.value()).sum())
                .isEqualTo(before.matching("vertx_http_server_requests_total").stream()
                        .filter(s -> "other".equals(s.labels().get("method"))).mapToDouble(s -> s.value()).sum() + 1);
    }

    @Test
    void aScrapeWithoutTheTokenIsRefused() {
        var noToken = app.get("/observe/metrics", null);
        assertThat(noToken.statusCode()).isEqualTo(401);
        assertThat(noToken.body()).contains("\"status\":\"error\"").doesNotContain("inlet_");
        var wrongToken = app.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/observe/metrics"))
                .header("Authorization", "Bearer not-" + InletApp.SCRAPE_TOKEN).GET().build());
        assertThat(wrongToken.statusCode()).isEqualTo(401);
        assertThat(Scrape.of(app).has("jvm_threads_live_threads")).isTrue();
    }

    @Test
    void theHealthReportsDetailsNeedTheTokenAndItsOneLineAnswerDoesNot() {
        assertThat(app.get("/observe/health", null).body()).isEqualTo("{\"status\":\"UP\"}");
        assertThat(app.get("/observe/health?exposureLevel=oneline", null).statusCode()).isEqualTo(200);
        for (String details : List.of("/observe/health?exposureLevel=full&data=true", "/observe/health?data=true",
                "/observe/health/ready?exposureLevel=default", "/observe/health?exposureLevel=oneline&exposureLevel=full")) {
            var refused = app.get(details, null);
            assertThat(refused.statusCode()).as(details).isEqualTo(401);
            assertThat(refused.body()).as(details).doesNotContain("checks").doesNotContain("queueUrl");
        }
        var full = app.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/observe/health?exposureLevel=full"))
                .header("Authorization", "Bearer " + InletApp.SCRAPE_TOKEN).GET().build());
        assertThat(full.statusCode()).isEqualTo(200);
        assertThat(full.body()).contains("\"checks\"");
    }

    /**
     * The backlog metrics show the backlog's own listing of a bucket of the real S3 (no second listing): files under
     * the file-key prefix counted up to the files bound, the lag from the oldest file, the queue's depth asked of
     * the real queue, and a bucket that cannot be listed keeps the last figures. With refusing disabled the listing
     * still runs, and refuses nothing.
     */
    @Test
    void backlogMetricsShowTheBacklogListing() {
        String bucket = "metrics-probe-" + UUID.randomUUID().toString().substring(0, 8);
        var s3 = app.s3();
        s3.createBucket(b -> b.bucket(bucket));
        long bytes = 0;
        for (int i = 0; i < 3; i++) {
            String key = FileKey.create(Stream.CONTACT, FileKey.SOURCE_API, "probe", Instant.now(), false).key();
            String body = "{}\n".repeat(i + 1);
            s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString(body));
            bytes += body.length();
        }
        s3.putObject(b -> b.bucket(bucket).key("not-a-file-key.txt"), RequestBody.fromString("ignored"));
        WorkQueue queue = app.camel().getRegistry().lookupByNameAndType("workQueue", WorkQueue.class);
        Clock hourLater = Clock.offset(Clock.systemUTC(), Duration.ofHours(1));

        MeterRegistry all = new SimpleMeterRegistry();
        Backlog backlog = new Backlog(s3, bucket, bounds(10), hourLater);
        BacklogProbe probe = new BacklogProbe(all, backlog, queue);
        assertThat(all.get("inlet.backlog.probe.up").tag("target", "inbox").gauge().value()).isEqualTo(0);
        backlog.refresh();
        probe.probe();
        assertThat(gauge(all, "inlet.backlog.objects")).isEqualTo(3);
        assertThat(gauge(all, "inlet.backlog.bytes")).isEqualTo(bytes);
        assertThat(gauge(all, "inlet.backlog.scan.truncated")).isEqualTo(0);
        // by S3's clock, which dated the files: this instance's own runs an hour ahead here (it once reported an hour
        // of lag, and refused uploads for a backlog that had waited seconds)
        assertThat(gauge(all, "inlet.processing.lag")).isBetween(0.0, 120.0);
        assertThat(all.get("inlet.backlog.probe.up").tag("target", "inbox").gauge().value()).isEqualTo(1);
        assertThat(all.get("inlet.backlog.probe.up").tag("target", "queue").gauge().value()).isEqualTo(1);

        MeterRegistry capped = new SimpleMeterRegistry();
        // a bound of none: the listing stops at the first file past four times the bound
        Backlog over = new Backlog(s3, bucket, bounds(0), hourLater);
        new BacklogProbe(capped, over, queue);
        over.refresh();
        assertThat(gauge(capped, "inlet.backlog.objects")).isEqualTo(1);
        assertThat(gauge(capped, "inlet.backlog.scan.truncated")).isEqualTo(1);
        assertThat(over.reading().excess()).as("refusing is disabled").isEmpty();

        s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()
                .forEach(o -> s3.deleteObject(b -> b.bucket(bucket).key(o.key())));
        s3.deleteBucket(b -> b.bucket(bucket));
        over.refresh();
        assertThat(capped.get("inlet.backlog.probe.up").tag("target", "inbox").gauge().value()).isEqualTo(0);
        assertThat(gauge(capped, "inlet.backlog.objects")).as("the last listing that succeeded").isEqualTo(1);
    }

    /** Refusing disabled, so that only the listing's figures are looked at. */
    private static Settings.Overload bounds(long maxFiles) {
        return new Settings.Overload(false, Duration.ofSeconds(5), maxFiles, Long.MAX_VALUE, Duration.ofDays(1));
    }

    private static double gauge(MeterRegistry registry, String name) {
        return registry.get(name).gauge().value();
    }

    private static double delta(Scrape before, Scrape after, String name, String... labels) {
        return after.value(name, labels) - before.value(name, labels);
    }

    private static String[] with(String[] labels, String... more) {
        String[] all = Arrays.copyOf(labels, labels.length + more.length);
        System.arraycopy(more, 0, all, labels.length, more.length);
        return all;
    }
}

package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A part name is written once: a second write of it (a rerun, an SDK retry) leaves it as it is, and a withdrawn part
 * is written over only by the batch's owner. A run that stalled after its ownership check, past its lease, while
 * another instance withdrew the part, cannot put it back (its records would be in the lake twice).
 */
class BatchPartsTest {

    static S3Client s3;
    static String bucket;

    @TempDir
    Path dir;

    @BeforeAll
    static void bucket() {
        s3 = InletApp.shared().s3();
        bucket = "parts-" + UUID.randomUUID();
        s3.createBucket(b -> b.bucket(bucket));
    }

    @Test
    void aNameAlreadyWrittenIsLeftAsItIs() throws Exception {
        String key = "contact/tenant=t/dt=2026-01-01/part-a-00001.jsonl.gz";
        AtomicInteger checks = new AtomicInteger();
        BatchParts.write(s3, bucket, key, file("first"), checks::incrementAndGet);
        BatchParts.write(s3, bucket, key, file("second"), checks::incrementAndGet);

        assertThat(read(key)).isEqualTo("first");
        assertThat(checks).as("ownership checked before each write").hasValue(2);
    }

    @Test
    void aStalledRunCannotPutBackAWithdrawnPartAndTheOwnerCan() throws Exception {
        String key = "contact/tenant=t/dt=2026-01-01/part-b-00001.jsonl.gz";
        s3.putObject(b -> b.bucket(bucket).key(key).metadata(Map.of(BatchParts.WITHDRAWN, "true")),
                RequestBody.fromString("withdrawn"));
        // the stalled run: its check before the write had passed, the second (the name is withdrawn) finds the batch
        // another instance's
        AtomicInteger checks = new AtomicInteger();
        assertThatThrownBy(() -> BatchParts.write(s3, bucket, key, file("late"), () -> {
            if (checks.incrementAndGet() > 1) {
                throw new BatchTakenOver("b", "another");
            }
        })).isInstanceOf(BatchTakenOver.class);
        assertThat(read(key)).isEqualTo("withdrawn");

        // the owner's rerun, which got through the file that failed before: the part is its again
        BatchParts.write(s3, bucket, key, file("rerun"), () -> { });
        assertThat(read(key)).isEqualTo("rerun");
        assertThat(s3.headObject(b -> b.bucket(bucket).key(key)).metadata()).doesNotContainKey(BatchParts.WITHDRAWN);
    }

    /**
     * A stalled run allowed over a withdrawn part (its ownership check passed just before) that the owner withdraws
     * again meanwhile: its write is over that one withdrawal only (If-Match), so it finds the name changed and stops.
     */
    @Test
    void aWriteOverAWithdrawnPartIsRefusedOnceTheNameIsWithdrawnAgain() throws Exception {
        String key = "contact/tenant=t/dt=2026-01-01/part-c-00001.jsonl.gz";
        withdraw(key);
        AtomicInteger checks = new AtomicInteger();
        assertThatThrownBy(() -> BatchParts.write(s3, bucket, key, file("late"), () -> {
            int check = checks.incrementAndGet();
            if (check == 2) {
                withdraw(key); // the owner, again: after this run's check, before its write
            } else if (check > 2) {
                throw new BatchTakenOver("c", "another");
            }
        })).isInstanceOf(BatchTakenOver.class);

        assertThat(s3.headObject(b -> b.bucket(bucket).key(key)).metadata()).containsEntry(BatchParts.WITHDRAWN, "true");
        try (var in = new java.util.zip.GZIPInputStream(s3.getObject(b -> b.bucket(bucket).key(key)))) {
            assertThat(in.readAllBytes()).as("a withdrawn part holds nothing").isEmpty();
        }
    }

    private static void withdraw(String key) {
        s3.putObject(b -> b.bucket(bucket).key(key).metadata(Map.of(BatchParts.WITHDRAWN, "true")),
                RequestBody.fromBytes(BatchParts.emptyGzip("withdrawn-" + UUID.randomUUID())));
    }

    /**
     * A file failing after the batch's first parts went out (a truncated gzip behind a good file): the attempt's parts
     * are withdrawn, left empty and marked in place, and the attempt without the file writes the good records once.
     */
    @Test
    void anAttemptWithdrawnForAFailedFileLeavesItsPartsEmptyInPlace() throws Exception {
        try (InletApp app = InletApp.start(Map.of("inlet.lake.part.max-records", "5"))) {
            Tenant tenant = app.newTenant("withdrawn");
            String prefix = "data/tenants/objects/contact/source_system=crm/tenant=" + tenant.id() + "/dt=2026-01-02-03-04/";
            StringBuilder good = new StringBuilder();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                ids.add("g-" + i);
                good.append("{\"contact_id\":\"g-").append(i).append("\",\"email\":\"g").append(i)
                        .append("@acme.com\",\"contact_properties\":{}}\n");
            }
            byte[] gzip = gzip(good.toString());
            app.camel().getRouteController().stopRoute("inbox-reconciliation");
            String inbox = app.settings().inboxBucket();
            app.s3().putObject(b -> b.bucket(inbox).key(prefix + "a-good.jsonl"), RequestBody.fromString(good.toString()));
            app.s3().putObject(b -> b.bucket(inbox).key(prefix + "b-truncated.jsonl.gz"),
                    RequestBody.fromBytes(Arrays.copyOf(gzip, gzip.length / 2)));
            app.camel().getRouteController().startRoute("inbox-reconciliation");

            BulkClient client = new BulkClient(app.baseUrl());
            assertThat(client.awaitFinal(tenant.key(), prefix + "a-good.jsonl", Duration.ofSeconds(60)).get("state")
                    .asText()).isEqualTo("completed");
            assertThat(client.awaitFinal(tenant.key(), prefix + "b-truncated.jsonl.gz", Duration.ofSeconds(60)).get("state")
                    .asText()).isEqualTo("failed");

            String lake = app.settings().lakeBucket();
            List<String> parts = Lake.partKeys(app.s3(), lake, "contact/tenant=" + tenant.id() + "/");
            List<String> withdrawn = parts.stream().filter(part -> "true".equals(app.s3().headObject(b -> b.bucket(lake)
                    .key(part)).metadata().get(BatchParts.WITHDRAWN))).toList();
            assertThat(withdrawn).as("the first attempt's parts").isNotEmpty().allSatisfy(part -> {
                assertThat(part).doesNotContain("-w");
                assertThat(Lake.gzipJsonLines(app.s3(), lake, part)).isEmpty();
            });
            assertThat(Lake.values(Lake.records(app.s3(), lake, "contact/tenant=" + tenant.id() + "/"), "contact_id"))
                    .as("the good file's records, once").containsExactlyInAnyOrderElementsOf(ids);
        }
    }

    private static byte[] gzip(String text) throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(bytes)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    private Path file(String content) throws Exception {
        return Files.writeString(Files.createTempFile(dir, "part", ".gz"), content);
    }

    private static String read(String key) {
        return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asString(StandardCharsets.UTF_8);
    }
}

package io.inlet.storage.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Listings of the embedded S3 show complete objects only, during a write and after a crash cut one short. */
class CompleteObjectsTest {

    @TempDir
    Path dir;

    @Test
    void anObjectBeingWrittenIsNotListedUnderAnyNameUntilItIsComplete() throws Exception {
        InletApp app = InletApp.shared();
        Tenant tenant = app.newTenant("listing");
        BulkClient.Upload upload = new BulkClient(app.baseUrl()).requestUrl(tenant.key(), "contact");
        String prefix = upload.fileKey().substring(0, upload.fileKey().lastIndexOf('/') + 1);
        long size = 2L * 1024 * 1024;
        HttpRequest put = HttpRequest.newBuilder(URI.create(upload.uploadUrl())).timeout(Duration.ofMinutes(1))
                .PUT(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> new Trickle(size)), size))
                .build();
        CompletableFuture<HttpResponse<String>> writing = HttpClient.newHttpClient()
                .sendAsync(put, HttpResponse.BodyHandlers.ofString());

        boolean sawTemporaryFileOnDisk = false;
        while (!writing.isDone()) {
            List<S3Object> listed = app.s3().listObjectsV2(b -> b.bucket(app.settings().landingBucket()).prefix(prefix))
                    .contents();
            // Until the answer reaches the client the object may just have become complete, never anything else.
            assertThat(listed).as("listed while the body is still arriving").allSatisfy(object -> {
                assertThat(object.key()).isEqualTo(upload.fileKey());
                assertThat(object.size()).isEqualTo(size);
            });
            sawTemporaryFileOnDisk |= temporaryFileExists(app, upload.fileKey());
            Thread.sleep(20);
        }

        assertThat(writing.get().statusCode()).isEqualTo(200);
        assertThat(sawTemporaryFileOnDisk).as("the write went through a temporary file that listings hid").isTrue();
        assertThat(app.s3().listObjectsV2(b -> b.bucket(app.settings().landingBucket()).prefix(prefix)).contents())
                .extracting(S3Object::key, S3Object::size).containsExactly(org.assertj.core.groups.Tuple.tuple(
                        upload.fileKey(), size));
    }

    @Test
    void recoveryRemovesWhatInterruptedWritesLeftAndNothingElse() throws IOException {
        Path root = dir.resolve("s3");
        Path journal = dir.resolve("s3-journal");
        Path folder = Files.createDirectories(root.resolve("inlet-lake/contact/tenant=t/dt=2025-01-01"));
        Path leftover = Files.writeString(folder.resolve("part-b-00001.jsonl.gz-" + UUID.randomUUID()), "half");
        Path complete = Files.writeString(folder.resolve("part-b-00002.jsonl.gz"), "whole");
        Path lookalike = Files.writeString(folder.resolve("report-" + UUID.randomUUID()), "someone else's object");
        Files.createDirectories(journal);
        Files.writeString(journal.resolve(UUID.randomUUID().toString()),
                "inlet-lake\ncontact/tenant=t/dt=2025-01-01/part-b-00001.jsonl.gz\n");

        assertThat(CompleteObjectsBlobStore.recover(root, journal)).isOne();

        assertThat(leftover).doesNotExist();
        assertThat(complete).exists();
        assertThat(lookalike).as("not named by the journal: not ours to delete").exists();
        try (Stream<Path> entries = Files.list(journal)) {
            assertThat(entries).isEmpty();
        }
    }

    private static boolean temporaryFileExists(InletApp app, String key) throws IOException {
        Path target = app.dataDir().resolve("s3").resolve(app.settings().landingBucket()).resolve(key);
        if (!Files.isDirectory(target.getParent())) {
            return false;
        }
        try (Stream<Path> siblings = Files.list(target.getParent())) {
            return siblings.anyMatch(p -> p.getFileName().toString().startsWith(target.getFileName() + "-"));
        }
    }

    /** A body of {@code size} bytes that arrives 64 KB at a time, ten times a second (however it is read). */
    /**
     * Conditional writes of keys that share a lock wait for each other only while one is written, never while its
     * body arrives: a tenant's slow upload sent with If-None-Match (the header needs no signature) once held its lock
     * for as long as it lasted, and with it the claims and lake parts of every key of that lock.
     */
    @Test
    void aSlowConditionalUploadHoldsUpNoOtherConditionalWrite() throws Exception {
        InletApp app = InletApp.shared();
        Tenant tenant = app.newTenant("stripe");
        BulkClient.Upload upload = new BulkClient(app.baseUrl()).requestUrl(tenant.key(), "contact");
        String lake = app.settings().lakeBucket();
        String stripe = app.settings().landingBucket() + "/" + upload.fileKey();
        String other = null;
        for (int i = 0; other == null; i++) {
            String candidate = "stripe-test/" + UUID.randomUUID() + "-" + i;
            if (Math.floorMod((lake + "/" + candidate).hashCode(), 256) == Math.floorMod(stripe.hashCode(), 256)) {
                other = candidate;
            }
        }
        long size = 1024L * 1024;
        HttpRequest put = HttpRequest.newBuilder(URI.create(upload.uploadUrl())).timeout(Duration.ofMinutes(1))
                .header("If-None-Match", "*")
                .PUT(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> new Trickle(size)), size))
                .build();
        CompletableFuture<HttpResponse<String>> slow = HttpClient.newHttpClient()
                .sendAsync(put, HttpResponse.BodyHandlers.ofString());
        Thread.sleep(500); // its body is arriving, 64 KiB every 100 ms

        String key = other;
        app.s3().putObject(b -> b.bucket(lake).key(key).ifNoneMatch("*"),
                software.amazon.awssdk.core.sync.RequestBody.fromString("claim"));

        assertThat(slow).as("the slow upload, still arriving").isNotDone();
        assertThat(slow.get().statusCode()).isEqualTo(200);
    }

    private static final class Trickle extends InputStream {
        private long left;
        private int leftInChunk;

        Trickle(long size) {
            this.left = size;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0];
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left == 0) {
                return -1;
            }
            if (leftInChunk == 0) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return -1;
                }
                leftInChunk = 65_536;
            }
            int n = (int) Math.min(Math.min(len, leftInChunk), left);
            java.util.Arrays.fill(b, off, off + n, (byte) '\n');
            left -= n;
            leftInChunk -= n;
            return n;
        }
    }
}

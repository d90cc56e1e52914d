package io.inlet.sender;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import io.inlet.Gunzip;
import io.inlet.testing.JsonlFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The two passes of gzip on the fly: the length the first promises is exactly what the second sends. */
class BlockGzipTest {

    static ExecutorService pool;

    @TempDir
    Path dir;

    @BeforeAll
    static void startPool() {
        pool = Executors.newFixedThreadPool(2);
    }

    @AfterAll
    static void stopPool() {
        pool.shutdownNow();
    }

    @Test
    void theSecondPassSendsTheLengthTheFirstPromisedAsIndependentMembersThatGunzipToTheFile() throws Exception {
        Path file = JsonlFiles.contactEvents(dir, "events", 5_000, 0, false).path();
        BlockGzip gzip = new BlockGzip(pool, 2, 64 * 1024);
        long[] progress = {0};

        BlockGzip.Plan plan = gzip.plan(file, done -> progress[0] = done);
        byte[] sent;
        try (InputStream in = gzip.open(plan)) {
            sent = in.readAllBytes();
        }
        byte[] again;
        try (InputStream in = gzip.open(plan)) {
            again = in.readAllBytes();
        }

        assertThat(progress[0]).isEqualTo(Files.size(file));
        assertThat(sent).hasSize((int) plan.gzipBytes()).isEqualTo(again);
        assertThat(plan.memberBytes()).hasSize((int) (Files.size(file) / (64 * 1024)) + 1);
        int at = 0;
        for (int member : plan.memberBytes()) {
            assertThat(new int[] {sent[at] & 0xff, sent[at + 1] & 0xff}).containsExactly(0x1f, 0x8b);
            at += member;
        }
        try (InputStream in = new Gunzip(new ByteArrayInputStream(sent))) {
            assertThat(in.readAllBytes()).isEqualTo(Files.readAllBytes(file));
        }
        // fixed header: no time, no name, so a file always compresses to the same bytes
        assertThat(new byte[] {sent[4], sent[5], sent[6], sent[7], sent[3]}).containsOnly(0);
    }

    /**
     * Lines that repeat compress more than the service lets a gzip inflate (200 times, past the first 64 MB): the
     * sender knows it from the plan, before anything is sent, and sends such a file as it is.
     */
    @Test
    void aPlanSaysWhenTheServiceWouldRefuseTheGzipAsABomb() throws Exception {
        Path repetitive = dir.resolve("same.jsonl");
        byte[] line = "{\"contact_id\":\"c-1\",\"email\":\"jane@acme.com\",\"contact_properties\":{}}\n"
                .getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(repetitive), 1 << 20)) {
            for (long written = 0; written < (70L << 20); written += line.length) {
                out.write(line);
            }
        }
        Path ordinary = JsonlFiles.contactEvents(dir, "ordinary", 5_000, 0, false).path();
        BlockGzip gzip = new BlockGzip(pool, 2);

        BlockGzip.Plan same = gzip.plan(repetitive, done -> { });

        assertThat(Files.size(repetitive)).isGreaterThan(200 * same.gzipBytes());
        assertThat(gzip.inflatesLikeABomb(same, 200)).isTrue();
        assertThat(gzip.inflatesLikeABomb(same, 100_000)).as("a ratio deflate cannot reach").isFalse();
        assertThat(gzip.inflatesLikeABomb(gzip.plan(ordinary, done -> { }), 200)).isFalse();
    }

    @Test
    void anEmptyFileIsAnEmptyGzip() throws Exception {
        Path file = Files.createFile(dir.resolve("empty.jsonl"));
        BlockGzip gzip = new BlockGzip(pool, 2);

        BlockGzip.Plan plan = gzip.plan(file, done -> { });
        try (InputStream in = gzip.open(plan); InputStream gunzipped = new Gunzip(in)) {
            assertThat(gunzipped.readAllBytes()).isEmpty();
        }
    }

    @Test
    void aFileChangedBetweenThePassesStopsTheSecondAsTheLocalFilesFault() throws Exception {
        Path file = JsonlFiles.contactEvents(dir, "changing", 2_000, 0, false).path();
        BlockGzip gzip = new BlockGzip(pool, 2, 16 * 1024);
        BlockGzip.Plan plan = gzip.plan(file, done -> { });

        // the same size and time, other bytes in the middle: only the members' checksums can tell
        FileTime modified = Files.getLastModifiedTime(file);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] = (byte) (bytes[bytes.length / 2] == '1' ? '2' : '1');
        Files.write(file, bytes);
        Files.setLastModifiedTime(file, modified);

        assertThatThrownBy(() -> {
            try (InputStream in = gzip.open(plan)) {
                in.readAllBytes();
            }
        }).isInstanceOf(LocalFileException.class).hasMessageContaining("changed while it was being sent");

        Files.writeString(file, "{}\n", StandardOpenOption.APPEND);
        assertThatThrownBy(() -> gzip.open(plan)).isInstanceOf(LocalFileException.class);
    }
}

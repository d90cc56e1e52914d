package io.inlet.pipeline;

import static io.inlet.testing.GzipMembers.gzip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import io.inlet.status.RefusedEntry;
import io.inlet.testing.ZipFiles;
import org.junit.jupiter.api.Test;

/**
 * A zip archive as the pipeline reads it (its bytes through {@link SourceStream} into {@link LineChunks}): JSONL
 * entries in archive order, each numbered from line 1, every other entry refused or passed over with a reason, and
 * each way an archive cannot be read failing it as a whole.
 */
class ZipEntriesTest {

    private static final byte[] BINARY = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13};

    @Test
    void jsonlEntriesAreReadInArchiveOrderEachFromLineOneAndTheOthersRefusedWithAReason() throws IOException {
        byte[] zip = ZipFiles.builder()
                .folder("export/")
                .deflated("export/a.jsonl", "{\"a\":1}\n{\"a\":2}\n")
                .deflated("export/notes.txt", "read me\n")
                .stored("export/b.JSONL.gz", gzip("{\"b\":1}\r\n\n{\"b\":3}".getBytes(StandardCharsets.UTF_8)))
                .deflated("export/empty.ndjson", "")
                .deflated("__MACOSX/export/._a.jsonl", BINARY)
                .deflated("export/.DS_Store", BINARY)
                .deflated("export/inner.zip", ZipFiles.builder().deflated("x.jsonl", "{}\n").bytes())
                .deflated("export/picture.json", BINARY)
                .deflated("../escape.jsonl", "{\"secret\":1}\n")
                .stored("export/photo.jsonl.gz", gzip(BINARY))
                .deflated("export/c.json", "{\"c\":1}\n")
                .bytes();

        Read read = read(zip);

        assertThat(read.lines()).containsExactly(
                "export/a.jsonl:1:{\"a\":1}", "export/a.jsonl:2:{\"a\":2}",
                "export/b.JSONL.gz:1:{\"b\":1}", "export/b.JSONL.gz:2:", "export/b.JSONL.gz:3:{\"b\":3}",
                "export/c.json:1:{\"c\":1}");
        assertThat(read.entries().read()).isEqualTo(4);
        assertThat(read.entries().refused()).isEqualTo(5);
        assertThat(read.entries().firstRefused()).extracting(RefusedEntry::entry).containsExactly(
                "export/notes.txt", "export/inner.zip", "export/picture.json", "../escape.jsonl", "export/photo.jsonl.gz");
        assertThat(read.entries().firstRefused()).extracting(RefusedEntry::reason).containsExactly(
                "not a JSONL file: only entries named .jsonl, .ndjson or .json (optionally .gz) are read",
                "a zip inside the archive is not read: put its files in the archive itself",
                "neither gzip nor JSONL text (4 control bytes in its first 12 bytes, the first (0x1a) at byte 7, on line 2)",
                "its path points outside the archive (entries are never written anywhere, but such a path is refused)",
                "gzip, but what it holds is not JSONL text (4 control bytes in its first 12 bytes, the first (0x1a) at"
                        + " byte 7, on line 2)");
    }

    @Test
    void anArchiveSmallerThanAReadWhoseLastEntryIsRefusedIsComplete() throws IOException {
        byte[] zip = ZipFiles.builder()
                .deflated("good.jsonl", "{\"a\":1}\n")
                .deflated("more.zip", ZipFiles.builder().deflated("x.jsonl", "{}\n").bytes())
                .bytes();

        Read read = read(zip);

        assertThat(read.lines()).containsExactly("good.jsonl:1:{\"a\":1}");
        assertThat(read.entries().firstRefused()).extracting(RefusedEntry::entry).containsExactly("more.zip");
    }

    @Test
    void anEncryptedEntryIsRefusedAndTheEntriesAfterItRead() throws IOException {
        byte[] zip = ZipFiles.builder()
                .stored("secret.jsonl", "{\"s\":1}\n".getBytes(StandardCharsets.UTF_8))
                .deflated("open.jsonl", "{\"o\":1}\n")
                .bytes();
        setFlag(zip, "secret.jsonl", 0); // bit 0: encrypted

        Read read = read(zip);

        assertThat(read.lines()).containsExactly("open.jsonl:1:{\"o\":1}");
        assertThat(read.entries().firstRefused()).containsExactly(
                new RefusedEntry("secret.jsonl", "it is encrypted, and encrypted entries cannot be read"));
    }

    @Test
    void aStoredEntryWithItsSizeAfterItsDataFailsTheArchive() {
        byte[] zip = ZipFiles.builder()
                .deflated("a.jsonl", "{\"a\":1}\n")
                .stored("b.jsonl", "{\"b\":1}\n".getBytes(StandardCharsets.UTF_8))
                .deflated("c.jsonl", "{\"c\":1}\n")
                .bytes();
        setFlag(zip, "b.jsonl", 3); // bit 3: sizes in a data descriptor after the data

        assertThatThrownBy(() -> read(zip)).isInstanceOf(SourceFailure.class)
                .hasMessageStartingWith("entry 'b.jsonl' is stored without compression and has its size after its data");
    }

    @Test
    void moreEntriesThanTheLimitFailTheArchive() {
        ZipFiles.Builder builder = ZipFiles.builder();
        for (int i = 0; i < 6; i++) {
            builder.deflated("part-" + i + ".jsonl", "{}\n");
        }
        byte[] zip = builder.bytes();

        assertThatThrownBy(() -> read(new ByteArrayInputStream(zip), zip.length, 5)).isInstanceOf(SourceFailure.class)
                .hasMessage("refused: the archive has more than 5 entries (inlet.pipeline.zip.max-entries)");
    }

    @Test
    void anArchiveCutShortFailsWhereverItIsCut() {
        byte[] zip = ZipFiles.builder()
                .stored("a.jsonl", "{\"a\":1}\n".repeat(100).getBytes(StandardCharsets.UTF_8))
                .deflated("b.jsonl", "{\"b\":1}\n".repeat(100))
                .deflated("c.jsonl", "{\"c\":1}\n")
                .bytes();
        int second = localHeaderOf(zip, "b.jsonl");
        int third = localHeaderOf(zip, "c.jsonl");

        // Where another entry's header should start (after an entry with its sizes up front, and after one with a
        // data descriptor): a reader could take the archive for complete there. Then inside entries and headers.
        for (int cut : new int[] {second, third + 10, second / 2, second + 10, (second + third) / 2}) {
            byte[] truncated = Arrays.copyOf(zip, cut);
            assertThatThrownBy(() -> read(truncated)).as("cut at %d", cut)
                    .isInstanceOf(SourceFailure.class).hasMessageStartingWith("truncated zip: the archive ends");
        }
    }

    @Test
    void anEntryThatDoesNotMatchItsChecksumFailsTheArchive() {
        byte[] zip = ZipFiles.builder().stored("a.jsonl", "{\"a\":1}\n".getBytes(StandardCharsets.UTF_8)).bytes();
        zip[indexOf(zip, "{\"a\":1}".getBytes(StandardCharsets.UTF_8)) + 5] = '2';

        assertThatThrownBy(() -> read(zip)).isInstanceOf(SourceFailure.class)
                .hasMessage("corrupt zip: entry 'a.jsonl' does not match its CRC-32 checksum");
    }

    @Test
    void aGzipEntryThatInflatesLikeABombFailsTheArchive() {
        // text (one endless line, which the reader skips in bounded memory), so that only the ratio refuses it
        byte[] text = new byte[65 << 20];
        Arrays.fill(text, (byte) 'x');
        byte[] zip = ZipFiles.builder().stored("bomb.jsonl.gz", gzip(text)).bytes();

        assertThatThrownBy(() -> read(zip)).isInstanceOf(SourceFailure.class)
                .hasMessage("refused as a zip bomb: entry 'bomb.jsonl.gz' inflates more than 200 times its compressed size");
    }

    @Test
    void entriesThatTogetherInflateLikeABombFailTheArchive() {
        byte[] zeros = new byte[33 << 20]; // each entry alone is below the 64 MB from which the ratio counts
        byte[] zip = ZipFiles.builder().deflated("a.jsonl", zeros).deflated("b.jsonl", zeros).bytes();

        assertThatThrownBy(() -> read(zip)).isInstanceOf(SourceFailure.class)
                .hasMessage("refused as a zip bomb: its entries inflate more than 200 times the archive's size");
    }

    @Test
    void aNetworkFailureInTheMiddleIsAStorageFailureNotTheArchivesFault() {
        byte[] zip = ZipFiles.builder().stored("a.jsonl", "{\"a\":1}\n".repeat(5_000).getBytes(StandardCharsets.UTF_8)).bytes();
        InputStream dropsHalfWay = new JsonlContentTest.Trickle(zip, new Random(5)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (position > zip.length / 2) {
                    throw new IOException("Connection reset");
                }
                return super.read(b, off, len);
            }
        };

        assertThatThrownBy(() -> read(dropsHalfWay, zip.length, 10_000))
                .isInstanceOf(StorageReadException.class).hasMessageContaining("Connection reset");
    }

    @Test
    void anEmptyArchiveHasNoLines() throws IOException {
        Read read = read(ZipFiles.builder().bytes());

        assertThat(read.lines()).isEmpty();
        assertThat(read.entries()).isEqualTo(new ArchiveEntries(0, 0, List.of()));
    }

    private record Read(List<String> lines, ArchiveEntries entries) {
    }

    /** The archive as a network hands it out at its most awkward: a few bytes a read. */
    private static Read read(byte[] zip) throws IOException {
        return read(new JsonlContentTest.Trickle(zip, new Random(zip.length)), zip.length, 10_000);
    }

    /** Every line as "entry:line:text"; a failure comes out as the exception the pipeline acts on. */
    private static Read read(InputStream archive, long size, int maxEntries) throws IOException {
        try (LineChunks chunks = new LineChunks(SourceStream.of(archive, () -> { }, size, 200, maxEntries), 1 << 20, 64)) {
            List<String> lines = new ArrayList<>();
            try {
                while (chunks.hasNext()) {
                    Chunk chunk = chunks.next();
                    for (int i = 0; i < chunk.count; i++) {
                        lines.add(chunk.entry + ":" + chunk.line[i] + ":"
                                + new String(chunk.data, chunk.start[i], chunk.length[i], StandardCharsets.UTF_8));
                    }
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            return new Read(lines, chunks.archiveEntries());
        }
    }

    /** Sets a bit of the general purpose flags in the local header of entry {@code name}. */
    private static void setFlag(byte[] zip, String name, int bit) {
        zip[localHeaderOf(zip, name) + 6] |= (byte) (1 << bit);
    }

    /** A name's first occurrence is in its local header, which starts 30 bytes before it. */
    private static int localHeaderOf(byte[] zip, String name) {
        return indexOf(zip, name.getBytes(StandardCharsets.UTF_8)) - 30;
    }

    private static int indexOf(byte[] data, byte[] what) {
        outer:
        for (int i = 0; i + what.length <= data.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (data[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalArgumentException("not found");
    }
}

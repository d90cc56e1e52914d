package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class LineReaderTest {

    record Line(long number, String text, long oversized) {
    }

    static List<Line> read(InputStream in, int max, int kept) throws IOException {
        LineReader reader = new LineReader(in, max, kept);
        List<Line> lines = new ArrayList<>();
        while (reader.next()) {
            lines.add(new Line(reader.lineNumber, new String(reader.array, reader.offset, reader.length, StandardCharsets.UTF_8),
                    reader.oversized ? reader.oversizedLength : 0));
        }
        return lines;
    }

    static List<Line> read(String text, int max) throws IOException {
        return read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), max, 8);
    }

    @Test
    void lfCrlfAndALastLineWithoutNewline() throws IOException {
        assertThat(read("a\nb\r\n\nc", 100)).containsExactly(
                new Line(1, "a", 0), new Line(2, "b", 0), new Line(3, "", 0), new Line(4, "c", 0));
        assertThat(read("a\n", 100)).containsExactly(new Line(1, "a", 0));
        assertThat(read("", 100)).isEmpty();
    }

    @Test
    void aByteOrderMarkAtTheStartOfTheFileOrOfAnyLineIsNotPartOfTheLine() throws IOException {
        // A BOM first (an editor's), one in the middle (`cat a.jsonl b.jsonl` where b has one), one alone on a
        // CRLF line, and one that is not at a line's start (that one is the line's content).
        String text = "\uFEFF{\"a\":1}\n{\"b\":2}\n\uFEFF{\"c\":3}\n\uFEFF\r\n{\"d\":\"\uFEFF\"}\n\uFEFF{\"e\":5}";
        InputStream oneByteAtATime = new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1));
            }
        };

        assertThat(read(oneByteAtATime, 100, 8)).containsExactly(
                new Line(1, "{\"a\":1}", 0), new Line(2, "{\"b\":2}", 0), new Line(3, "{\"c\":3}", 0), new Line(4, "", 0),
                new Line(5, "{\"d\":\"\uFEFF\"}", 0), new Line(6, "{\"e\":5}", 0));
    }

    @Test
    void aLineOfExactlyTheLimitIsKeptAndOneByteMoreIsNot() throws IOException {
        String exact = "x".repeat(100);
        List<Line> lines = read(exact + "\n" + exact + "y\nz\n", 100);

        assertThat(lines.get(0)).isEqualTo(new Line(1, exact, 0));
        assertThat(lines.get(1)).isEqualTo(new Line(2, "xxxxxxxx", 101));
        assertThat(lines.get(2)).isEqualTo(new Line(3, "z", 0));
    }

    /** The limit is on the record's bytes: the CR of a CRLF does not count, nor does a last line's missing newline. */
    @Test
    void aCrlfLineOfExactlyTheLimitIsKeptAsItsLfTwinIs() throws IOException {
        String exact = "x".repeat(100);
        List<Line> lines = read(exact + "\r\n" + exact + "y\r\nz\r\n" + exact + "\r", 100);

        assertThat(lines).containsExactly(new Line(1, exact, 0), new Line(2, "xxxxxxxx", 101), new Line(3, "z", 0),
                new Line(4, exact, 0));
        assertThat(read(exact + "y", 100)).as("a last line over the limit").containsExactly(new Line(1, "xxxxxxxx", 101));
        assertThat(read(exact + "yz", 100)).containsExactly(new Line(1, "xxxxxxxx", 102));
        assertThat(read("\uFEFF" + exact + "\r\n", 100)).as("nor a byte order mark").containsExactly(new Line(1, exact, 0));
        assertThat(read("\uFEFF" + exact + "y\r\n", 100)).containsExactly(new Line(1, "\uFEFFxxxxx", 101));
    }

    /** A line far over the limit (skipped, never held whole) reports the record's own length too. */
    @Test
    void aSkippedLineReportsItsLengthWithoutTheCrOrAByteOrderMark() throws IOException {
        String far = "x".repeat(300);
        assertThat(read(far + "\r\nz\n", 100)).containsExactly(new Line(1, "xxxxxxxx", 300), new Line(2, "z", 0));
        assertThat(read("\uFEFF" + far + "\r\nz", 100)).containsExactly(new Line(1, "\uFEFFxxxxx", 300),
                new Line(2, "z", 0));
        assertThat(read(far + "\r", 100)).as("a last line's CR without its LF")
                .containsExactly(new Line(1, "xxxxxxxx", 300));
        assertThat(read(far + "\rz\n", 100)).as("a CR inside the line is its content")
                .containsExactly(new Line(1, "xxxxxxxx", 302));
        InputStream oneByteAtATime = new ByteArrayInputStream((far + "\r\nz\n").getBytes(StandardCharsets.UTF_8)) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1));
            }
        };
        assertThat(read(oneByteAtATime, 100, 8)).as("the CR in one read, its LF in the next")
                .containsExactly(new Line(1, "xxxxxxxx", 300), new Line(2, "z", 0));
    }

    @Test
    void linesLongerThanTheFirstBufferAreReadWholeUpToTheLimitAndNotBeyond() throws IOException {
        // The buffer starts at a quarter megabyte and grows for a line that does not fit; the limit stays the limit.
        int max = 1024 * 1024;
        String small = "s".repeat(100);
        String overFirstBuffer = "o".repeat(LineReader.INITIAL_BUFFER_BYTES + 10);
        String exact = "x".repeat(max);
        String tooLong = "y".repeat(max + 1);
        String text = small + "\n" + overFirstBuffer + "\n" + small + "\n" + exact + "\n" + tooLong + "\n" + small;

        List<Line> lines = read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), max, 8);

        assertThat(lines).containsExactly(new Line(1, small, 0), new Line(2, overFirstBuffer, 0), new Line(3, small, 0),
                new Line(4, exact, 0), new Line(5, "yyyyyyyy", max + 1), new Line(6, small, 0));
    }

    @Test
    void aHugeLineIsSkippedWithoutBeingHeld() throws IOException {
        long huge = 50L * 1024 * 1024;
        InputStream in = new InputStream() {
            long produced;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                // "{" + 50 MB of 'a' + "\nok\n", produced on the fly: never in memory as a whole.
                long total = huge + 4;
                if (produced >= total) {
                    return -1;
                }
                int n = (int) Math.min(len, total - produced);
                for (int i = 0; i < n; i++) {
                    long at = produced + i;
                    b[off + i] = at == 0 ? (byte) '{' : at < huge ? (byte) 'a' : at == huge ? (byte) '\n'
                            : at == huge + 3 ? (byte) '\n' : (byte) 'k';
                }
                produced += n;
                return n;
            }
        };

        List<Line> lines = read(in, 1024 * 1024, 16);

        assertThat(lines).containsExactly(new Line(1, "{aaaaaaaaaaaaaaa", huge), new Line(2, "kk", 0));
    }

    @Test
    void readsCorrectlyAcrossBufferRefills() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            text.append("line-").append(i).append(i % 3 == 0 ? "\r\n" : "\n");
        }
        List<Line> lines = read(new ByteArrayInputStream(text.toString().getBytes(StandardCharsets.UTF_8)) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 777)); // short reads, as from a network
            }
        }, 64, 8);

        assertThat(lines).hasSize(20_000);
        assertThat(lines.get(19_999)).isEqualTo(new Line(20_000, "line-19999", 0));
        assertThat(lines).allMatch(l -> l.text().equals("line-" + (l.number() - 1)));
    }
}

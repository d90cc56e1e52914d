package io.inlet.pipeline;

import static io.inlet.testing.GzipMembers.concat;
import static io.inlet.testing.GzipMembers.gzip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.zip.GZIPOutputStream;

import io.inlet.testing.GzipMembers;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.Exchange;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.Test;

/**
 * A source file as the pipeline's routes read it (the {@link JsonlContent} data format, then a streaming split
 * of its chunks): every gzip member, whatever the member sizes and however the bytes arrive, and each way a
 * file can be unreadable told apart from a storage failure.
 */
class JsonlContentTest extends CamelTestSupport {

    static final BatchManifest.Cut CUT = new BatchManifest.Cut(1_000_000, 1L << 30, 6, 1024 * 1024, 64, 200, 10_000, 1_000,
            10_000, 1_000, 10, 64L << 20);

    @Override
    protected RoutesBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:read").noStreamCaching()
                        .setProperty(JsonlContent.CUT, constant(CUT))
                        .unmarshal(new JsonlContent())
                        .split(body()).streaming()
                            .process(JsonlContentTest.this::collect)
                        .end()
                        .setBody(exchangeProperty(JsonlContent.CHUNKS));
            }
        };
    }

    @Test
    void everyMemberOfAManyMemberGzipIsReadWhenTheNetworkHandsOutAFewBytesAtATime() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 6_000; i++) {
            lines.add("{\"contact_id\":\"c-" + i + "\",\"email\":\"c" + i + "@acme.com\",\"contact_properties\":{}}");
        }
        byte[] text = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        GzipMembers.File gz = GzipMembers.random(text, new Random(42));
        assertThat(gz.members()).as("members").isGreaterThan(2_500);
        assertThat(gz.cutMidLine()).as("members that end inside a line").isGreaterThan(500);

        LineChunks chunks = readAll(new Trickle(gz.bytes(), new Random(7)));

        assertThat(chunks.bytesRead()).isEqualTo(gz.bytes().length);
        assertThat(chunks.exhausted()).isTrue();
        assertThat(read).hasSize(lines.size()).isEqualTo(lines);
    }

    @Test
    void aTruncatedLastMemberFailsTheFile() {
        byte[] text = "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n{\"d\":4}\n".getBytes(StandardCharsets.UTF_8);
        byte[] first = gzip(Arrays.copyOfRange(text, 0, 16));
        byte[] whole = concat(first, gzip(Arrays.copyOfRange(text, 16, text.length)));

        // Cut inside the last member's header, and inside its compressed data.
        for (int cut : new int[] {first.length + 4, whole.length - 10}) {
            byte[] truncated = Arrays.copyOf(whole, cut);
            assertThatThrownBy(() -> readAll(new Trickle(truncated, new Random(cut))))
                    .as("cut at byte %d of %d", cut, whole.length)
                    .isInstanceOf(SourceFailure.class).hasMessageStartingWith("truncated gzip: ");
        }
    }

    @Test
    void bytesAfterAMemberThatAreNotAnotherMemberFailTheFile() {
        byte[] member = gzip("{\"a\":1}\n".getBytes(StandardCharsets.UTF_8));
        byte[] garbage = concat(member, member, "trailing text\n".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> readAll(new Trickle(garbage, new Random(1))))
                .isInstanceOf(SourceFailure.class).hasMessageStartingWith("corrupt gzip");
    }

    @Test
    void corruptCompressedDataFailsTheFile() {
        byte[] gz = gzip("{\"a\":1}\n".repeat(1_000).getBytes(StandardCharsets.UTF_8));
        gz[gz.length / 2] ^= 0x55;

        assertThatThrownBy(() -> readAll(new ByteArrayInputStream(gz)))
                .isInstanceOf(SourceFailure.class).hasMessageStartingWith("corrupt gzip");
    }

    @Test
    void aNetworkFailureInTheMiddleIsAStorageFailureNotTheFilesFault() {
        byte[] gz = GzipMembers.random("{\"a\":1}\n".repeat(2_000).getBytes(StandardCharsets.UTF_8), new Random(3)).bytes();
        Supplier<InputStream> dropsHalfWay = () -> new Trickle(gz, new Random(5)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (position > gz.length / 2) {
                    throw new IOException("Connection reset");
                }
                return super.read(b, off, len);
            }
        };

        assertThatThrownBy(() -> readAll(dropsHalfWay.get()))
                .isInstanceOf(StorageReadException.class).hasMessageContaining("Connection reset");
    }

    @Test
    void gzippedZerosAreRefusedAtOnceAsNoText() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(new byte[1 << 20]);
        }
        byte[] zeros = out.toByteArray();

        assertThatThrownBy(() -> readAll(new ByteArrayInputStream(zeros))).isInstanceOf(SourceFailure.class)
                .hasMessage("gzip, but what it holds is not JSONL text (8192 control bytes in its first 8192 bytes, the"
                        + " first (0x00) at byte 1, on line 1)");
    }

    @Test
    void aGzipBombIsRefused() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            // text (one endless line, skipped in bounded memory), so that only the ratio refuses it (zeros are
            // refused at once as no text)
            byte[] text = new byte[1 << 20];
            Arrays.fill(text, (byte) 'x');
            for (int i = 0; i < 80; i++) {
                gz.write(text);
            }
        }
        byte[] bomb = out.toByteArray();

        assertThatThrownBy(() -> readAll(new ByteArrayInputStream(bomb)))
                .isInstanceOf(SourceFailure.class).hasMessageContaining("gzip bomb");
    }

    private final List<String> read = new ArrayList<>();

    private void collect(Exchange exchange) {
        Chunk chunk = exchange.getMessage().getBody(Chunk.class);
        for (int i = 0; i < chunk.count; i++) {
            read.add(new String(chunk.data, chunk.start[i], chunk.length[i], StandardCharsets.UTF_8));
        }
    }

    /** Sends the object through the route; a failure comes out as the exception the pipeline would act on. */
    private LineChunks readAll(InputStream object) throws Exception {
        try {
            return template.requestBody("direct:read", object, LineChunks.class);
        } catch (CamelExecutionException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof IOException io) {
                    throw io;
                }
            }
            throw e;
        }
    }

    /** A network stream at its most awkward: 1 to 7 bytes a read, and never says that more is on its way. */
    static class Trickle extends InputStream {
        private final byte[] data;
        private final Random random;
        int position;

        Trickle(byte[] data, Random random) {
            this.data = data;
            this.random = random;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (position == data.length) {
                return -1;
            }
            int n = Math.min(Math.min(len, 1 + random.nextInt(7)), data.length - position);
            System.arraycopy(data, position, b, off, n);
            position += n;
            return n;
        }

        @Override
        public int available() {
            return 0;
        }
    }
}

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

import io.inlet.storage.Buckets;
import io.inlet.testing.GzipMembers;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/** A source file as the pipeline reads it from S3: every gzip member, whatever the member sizes and however the bytes arrive. */
class SourceStreamTest {

    static final Buckets BUCKETS = new Buckets("landing", "inbox", "archive", "lake");
    static final String KEY = "data/tenants/objects/contact/source_system=dataapi/tenant=t/dt=2025-01-01-00-00/f.jsonl.gz";

    @Test
    void everyMemberOfAManyMemberGzipIsReadWhenTheNetworkHandsOutAFewBytesAtATime() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 6_000; i++) {
            lines.add("{\"contact_id\":\"c-" + i + "\",\"email\":\"c" + i + "@acme.com\",\"contact_properties\":{}}");
        }
        byte[] text = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        GzipMembers.File gz = GzipMembers.random(text, new Random(42));
        assertThat(gz.members()).as("members").isGreaterThan(2_500);
        assertThat(gz.cutMidLine()).as("members that end inside a line").isGreaterThan(500);

        List<String> read = new ArrayList<>();
        try (SourceStream source = open(() -> new Trickle(gz.bytes(), new Random(7)))) {
            LineReader reader = new LineReader(source.content(), 1024 * 1024, 64);
            while (reader.next()) {
                read.add(new String(reader.array, reader.offset, reader.length, StandardCharsets.UTF_8));
            }
            assertThat(source.bytesRead()).isEqualTo(gz.bytes().length);
        }

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
            assertThatThrownBy(() -> readAll(open(() -> new Trickle(truncated, new Random(cut)))))
                    .as("cut at byte %d of %d", cut, whole.length)
                    .isInstanceOf(SourceFailure.class).hasMessageStartingWith("truncated gzip: ");
        }
    }

    @Test
    void bytesAfterAMemberThatAreNotAnotherMemberFailTheFile() {
        byte[] member = gzip("{\"a\":1}\n".getBytes(StandardCharsets.UTF_8));
        byte[] garbage = concat(member, member, "trailing text\n".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> readAll(open(() -> new Trickle(garbage, new Random(1)))))
                .isInstanceOf(SourceFailure.class).hasMessageStartingWith("corrupt gzip");
    }

    @Test
    void corruptCompressedDataFailsTheFile() {
        byte[] gz = gzip("{\"a\":1}\n".repeat(1_000).getBytes(StandardCharsets.UTF_8));
        gz[gz.length / 2] ^= 0x55;

        assertThatThrownBy(() -> readAll(open(() -> new ByteArrayInputStream(gz))))
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

        assertThatThrownBy(() -> readAll(open(dropsHalfWay)))
                .isInstanceOf(StorageReadException.class).hasMessageContaining("Connection reset");
    }

    @Test
    void aGzipBombIsRefused() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 80; i++) {
                gz.write(zeros);
            }
        }
        byte[] bomb = out.toByteArray();

        assertThatThrownBy(() -> readAll(open(() -> new ByteArrayInputStream(bomb))))
                .isInstanceOf(SourceFailure.class).hasMessageContaining("gzip bomb");
    }

    private static SourceStream open(Supplier<InputStream> object) throws IOException {
        return SourceStream.open(new OneObjectS3(object), BUCKETS, KEY, 200);
    }

    private static void readAll(SourceStream source) throws IOException {
        try (source) {
            source.content().transferTo(OutputStream.nullOutputStream());
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

    /** Just enough of S3 to serve the one object under test from the inbox. */
    static final class OneObjectS3 implements S3Client {
        private final Supplier<InputStream> object;

        OneObjectS3(Supplier<InputStream> object) {
            this.object = object;
        }

        @Override
        public ResponseInputStream<GetObjectResponse> getObject(GetObjectRequest request) {
            assertThat(request.bucket()).isEqualTo(BUCKETS.inbox());
            assertThat(request.key()).isEqualTo(KEY);
            return new ResponseInputStream<>(GetObjectResponse.builder().build(), AbortableInputStream.create(object.get()));
        }

        @Override
        public String serviceName() {
            return SERVICE_NAME;
        }

        @Override
        public void close() {
            // nothing to release
        }
    }
}

package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parts built from separately compressed buffers must still be one plain gzip member that any reader takes. */
class PartBuilderTest {

    @TempDir
    Path dir;

    @Test
    void manyFlushesAndALargeRecordMakeOneValidGzipMember() throws Exception {
        PartBuilder part = new PartBuilder(dir.resolve("part.jsonl.gz"));
        Deflater deflater = new Deflater(6, true);
        byte[] out = new byte[1024];
        part.buffer = new byte[4096];
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            String record = "{\"n\":" + i + ",\"pad\":\"" + "p".repeat(i % 50) + "\"}";
            byte[] bytes = record.getBytes(StandardCharsets.UTF_8);
            if (i == 500) {
                String large = "{\"large\":\"" + "L".repeat(10_000) + "\"}";
                part.addLarge(large.getBytes(StandardCharsets.UTF_8), 0, large.length(), 0, deflater, out);
                written.add(large);
            }
            if (!part.hasRoom(bytes.length)) {
                part.flush(deflater, out);
            }
            part.add(bytes, 0, bytes.length, 0);
            written.add(record);
        }
        part.seal(deflater, out);
        byte[] gz = Files.readAllBytes(part.file);

        List<String> read = new ArrayList<>();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(part.file))) {
            read.addAll(Arrays.asList(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")));
        }
        assertThat(read).isEqualTo(written);

        // One member: the deflate stream ends exactly 8 bytes (CRC32, size) before the end of the file.
        Inflater inflater = new Inflater(true);
        inflater.setInput(gz, 10, gz.length - 10);
        ByteArrayOutputStream inflated = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        while (!inflater.finished()) {
            inflated.write(buffer, 0, inflater.inflate(buffer));
        }
        assertThat(inflater.getRemaining()).isEqualTo(8);
        CRC32 crc = new CRC32();
        crc.update(inflated.toByteArray());
        long trailerCrc = (gz[gz.length - 8] & 0xffL) | (gz[gz.length - 7] & 0xffL) << 8 | (gz[gz.length - 6] & 0xffL) << 16
                | (gz[gz.length - 5] & 0xffL) << 24;
        assertThat(trailerCrc).isEqualTo(crc.getValue());
        // And the system's gzip agrees.
        if (Files.isExecutable(Path.of("/usr/bin/gzip")) || Files.isExecutable(Path.of("/bin/gzip"))) {
            Process test = new ProcessBuilder("gzip", "-t", part.file.toString()).redirectErrorStream(true).start();
            assertThat(test.waitFor()).as(new String(test.getInputStream().readAllBytes())).isZero();
        }
    }

    @Test
    void anEmptyPartIsAValidEmptyGzip() throws IOException {
        PartBuilder part = new PartBuilder(dir.resolve("empty.jsonl.gz"));
        Deflater deflater = new Deflater(6, true);
        part.seal(deflater, new byte[1024]);
        try (InputStream in = new GZIPInputStream(Files.newInputStream(part.file))) {
            assertThat(in.readAllBytes()).isEmpty();
        }
    }
}

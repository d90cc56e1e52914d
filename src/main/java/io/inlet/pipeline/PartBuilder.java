package io.inlet.pipeline;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * One lake part being built: records are buffered uncompressed, and each full buffer is deflated on its own
 * (a shared {@link Deflater}, reset each time, ending in a sync flush) and appended to a scratch file. Blocks
 * compressed that way can follow each other inside one deflate stream, so the finished file is a single,
 * ordinary gzip member (as pigz builds them) while no partition keeps a compressor of its own: thousands of
 * partitions (a backfill over years of event dates, in any order) cost only scratch files, not memory.
 */
final class PartBuilder {

    private static final byte[] GZIP_HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};
    /** An empty stored block with BFINAL set: ends the deflate stream after the last sync flush. */
    private static final byte[] FINAL_BLOCK = {1, 0, 0, (byte) 0xff, (byte) 0xff};

    final Path file;
    final BitSet sources = new BitSet();
    long records;
    long bytes;
    byte[] buffer;
    int used;
    private final CRC32 crc = new CRC32();
    private long inflatedSize;

    PartBuilder(Path file) throws IOException {
        this.file = file;
        Files.write(file, GZIP_HEADER);
    }

    boolean hasRoom(int length) {
        return buffer != null && used + length + 1 <= buffer.length;
    }

    void add(byte[] data, int offset, int length, int sourceIndex) {
        System.arraycopy(data, offset, buffer, used, length);
        used += length;
        buffer[used++] = '\n';
        records++;
        bytes += length + 1;
        sources.set(sourceIndex);
    }

    /** Compresses what is buffered onto the scratch file and empties the buffer (kept for reuse). */
    void flush(Deflater deflater, byte[] out) throws IOException {
        if (used == 0) {
            return;
        }
        crc.update(buffer, 0, used);
        inflatedSize += used;
        deflater.reset();
        deflater.setInput(buffer, 0, used);
        try (OutputStream file = Files.newOutputStream(this.file, StandardOpenOption.APPEND)) {
            int n;
            do {
                n = deflater.deflate(out, 0, out.length, Deflater.SYNC_FLUSH);
                file.write(out, 0, n);
            } while (n == out.length || !deflater.needsInput());
        }
        used = 0;
    }

    /** Compresses a record larger than any buffer straight onto the scratch file, after what is buffered. */
    void addLarge(byte[] data, int offset, int length, int sourceIndex, Deflater deflater, byte[] out) throws IOException {
        flush(deflater, out);
        byte[] saved = buffer;
        buffer = new byte[length + 1];
        add(data, offset, length, sourceIndex);
        flush(deflater, out);
        buffer = saved;
    }

    /** Ends the deflate stream and writes the gzip trailer; the file is then a complete .gz. */
    void seal(Deflater deflater, byte[] out) throws IOException {
        flush(deflater, out);
        try (OutputStream file = Files.newOutputStream(this.file, StandardOpenOption.APPEND)) {
            file.write(FINAL_BLOCK);
            long crcValue = crc.getValue();
            file.write(new byte[] {(byte) crcValue, (byte) (crcValue >> 8), (byte) (crcValue >> 16), (byte) (crcValue >> 24),
                    (byte) inflatedSize, (byte) (inflatedSize >> 8), (byte) (inflatedSize >> 16), (byte) (inflatedSize >> 24)});
        }
    }

    void discard() throws IOException {
        Files.deleteIfExists(file);
    }
}

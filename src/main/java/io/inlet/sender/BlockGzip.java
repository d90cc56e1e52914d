package io.inlet.sender;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;
import java.util.zip.CRC32;

import io.inlet.pipeline.FileCheck;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;

/**
 * A plain file sent as gzip with no temporary copy. A presigned PUT needs its Content-Length up front (S3 takes no
 * chunked body on a presigned URL), so the file is compressed twice: once to learn the length ({@link #plan}),
 * once while it is sent ({@link #open}). To make that affordable it is cut into blocks of {@link #BLOCK_BYTES}
 * that are compressed side by side as independent gzip members (as {@code pigz --independent} and bgzip do; the
 * service reads every member of a gzip file), so both passes use every core. Each member's bytes depend only on
 * its block (fixed level, no time or name in the header), so the second pass reproduces the first exactly; the
 * plan keeps each member's size and checksum, and the second pass stops with {@link LocalFileException} the
 * moment a member differs (the file changed in between): a cut-short body is never stored by S3.
 */
final class BlockGzip {

    /** Input per member: large enough that restarting the dictionary costs under 1 % of the ratio. */
    static final int BLOCK_BYTES = 4 << 20;
    /** gzip's own default: a fixed level keeps both passes identical. */
    static final int LEVEL = 6;

    /** What the first pass learned: the gzip's length, and each member's length and CRC-32 of its bytes. */
    record Plan(Path file, long fileSize, FileTime modified, long gzipBytes, int[] memberBytes, long[] memberCrcs) {
    }

    private final ExecutorService pool;
    private final int parallelism;
    private final int blockBytes;

    BlockGzip(ExecutorService pool, int parallelism) {
        this(pool, parallelism, BLOCK_BYTES);
    }

    /** With another block size, for tests that want many members from a small file. */
    BlockGzip(ExecutorService pool, int parallelism, int blockBytes) {
        this.pool = pool;
        this.parallelism = Math.max(1, parallelism);
        this.blockBytes = blockBytes;
    }

    /**
     * Whether the service would refuse the planned gzip as a bomb: at the end of some member, the file so far more
     * than {@code maxExpansionRatio} times the gzip so far (past the first 64 MB, as the service counts).
     */
    boolean inflatesLikeABomb(Plan plan, long maxExpansionRatio) {
        long compressed = 0;
        for (int i = 0; i < plan.memberBytes().length; i++) {
            compressed += plan.memberBytes()[i];
            long inflated = Math.min((long) (i + 1) * blockBytes, plan.fileSize());
            if (FileCheck.inflatesLikeABomb(inflated, compressed, maxExpansionRatio)) {
                return true;
            }
        }
        return false;
    }

    /** The first pass: compresses every block, keeps only sizes and checksums. {@code progress} gets bytes of the file done. */
    Plan plan(Path file, LongConsumer progress) throws IOException, InterruptedException {
        BasicFileAttributes before = Files.readAttributes(file, BasicFileAttributes.class);
        List<long[]> members = new ArrayList<>();
        Deque<Future<long[]>> pending = new ArrayDeque<>();
        long done = 0;
        try (InputStream in = Files.newInputStream(file)) {
            boolean more = true;
            while (more) {
                byte[] block = in.readNBytes(blockBytes);
                more = block.length == blockBytes;
                pending.add(pool.submit(() -> measure(block)));
                if (pending.size() > parallelism) {
                    long[] member = result(pending.poll());
                    members.add(member);
                    done += member[2];
                    progress.accept(done);
                }
            }
            while (!pending.isEmpty()) {
                long[] member = result(pending.poll());
                members.add(member);
                done += member[2];
                progress.accept(done);
            }
        } finally {
            pending.forEach(f -> f.cancel(true));
        }
        requireUnchanged(file, before.size(), before.lastModifiedTime());
        int[] sizes = new int[members.size()];
        long[] crcs = new long[members.size()];
        long total = 0;
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = (int) members.get(i)[0];
            crcs[i] = members.get(i)[1];
            total += sizes[i];
        }
        return new Plan(file, before.size(), before.lastModifiedTime(), total, sizes, crcs);
    }

    /** The second pass: the same gzip bytes as a stream, each member checked against the plan. */
    InputStream open(Plan plan) throws IOException {
        requireUnchanged(plan.file(), plan.fileSize(), plan.modified());
        return new Members(plan, Files.newInputStream(plan.file()));
    }

    /** One member's {size, CRC-32 of its bytes, input bytes}, without keeping its bytes. */
    private static long[] measure(byte[] block) throws IOException {
        Measuring sink = new Measuring();
        compress(block, sink);
        return new long[] {sink.count, sink.crc.getValue(), block.length};
    }

    private static byte[] member(byte[] block) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(Math.max(64, block.length / 4));
        compress(block, bytes);
        return bytes.toByteArray();
    }

    private static void compress(byte[] block, OutputStream sink) throws IOException {
        GzipParameters parameters = new GzipParameters();
        parameters.setCompressionLevel(LEVEL);
        parameters.setModificationInstant(Instant.EPOCH);
        parameters.setOS(GzipParameters.OS.UNKNOWN);
        try (GzipCompressorOutputStream gzip = new GzipCompressorOutputStream(sink, parameters)) {
            gzip.write(block);
        }
    }

    private static <T> T result(Future<T> future) throws IOException, InterruptedException {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException("compressing a block failed", e.getCause());
        }
    }

    private static void requireUnchanged(Path file, long size, FileTime modified) throws IOException {
        BasicFileAttributes now = Files.readAttributes(file, BasicFileAttributes.class);
        if (now.size() != size || !now.lastModifiedTime().equals(modified)) {
            throw LocalFileException.changed(file);
        }
    }

    /** Counts and checksums what it is given, keeps nothing. */
    private static final class Measuring extends OutputStream {
        final CRC32 crc = new CRC32();
        long count;

        @Override
        public void write(int b) {
            crc.update(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            crc.update(b, off, len);
            count += len;
        }
    }

    /** The members in order, compressed a few blocks ahead of the reader on the pool. */
    private final class Members extends InputStream {
        private final Plan plan;
        private final InputStream file;
        private final Deque<Future<byte[]>> ahead = new ArrayDeque<>();
        private int blocksRead;
        private int served;
        private byte[] current = new byte[0];
        private int position;

        Members(Plan plan, InputStream file) {
            this.plan = plan;
            this.file = file;
        }

        @Override
        public int read() throws IOException {
            return ready() ? current[position++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (!ready()) {
                return -1;
            }
            int n = Math.min(len, current.length - position);
            System.arraycopy(current, position, b, off, n);
            position += n;
            return n;
        }

        /** Bytes of the current member are left to read: the next member's, once it is checked, if need be. */
        private boolean ready() throws IOException {
            while (position == current.length) {
                if (!nextMember()) {
                    return false;
                }
            }
            return true;
        }

        private boolean nextMember() throws IOException {
            int members = plan.memberBytes().length;
            while (blocksRead < members && ahead.size() <= parallelism) {
                byte[] block = file.readNBytes(blockBytes);
                blocksRead++;
                ahead.add(pool.submit(() -> member(block)));
            }
            if (served == members) {
                if (file.read() >= 0) {
                    throw LocalFileException.changed(plan.file());
                }
                requireUnchanged(plan.file(), plan.fileSize(), plan.modified());
                return false;
            }
            byte[] member;
            try {
                member = result(ahead.poll());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while compressing");
            }
            CRC32 crc = new CRC32();
            crc.update(member);
            if (member.length != plan.memberBytes()[served] || crc.getValue() != plan.memberCrcs()[served]) {
                throw LocalFileException.changed(plan.file());
            }
            served++;
            current = member;
            position = 0;
            return true;
        }

        @Override
        public void close() throws IOException {
            ahead.forEach(f -> f.cancel(true));
            ahead.clear();
            file.close();
        }
    }
}

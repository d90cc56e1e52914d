package io.inlet.pipeline;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

import io.inlet.Gunzip;
import io.inlet.storage.Buckets;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * One source file as a stream of JSONL bytes, read straight from S3 (never whole in memory, never spooled,
 * except small files a batch reads ahead), for {@link JsonlContent}:
 * gunzipped (every member of a multi-member gzip) when its first bytes are the gzip magic, whatever its name;
 * refused when it is neither gzip nor text, when the gzip is truncated or corrupt, or when it inflates like a
 * gzip bomb.
 */
final class SourceStream implements AutoCloseable {

    private static final int TEXT_SNIFF_BYTES = 8192;
    private static final long BOMB_CHECK_AFTER = 64L * 1024 * 1024;

    /** Ends the transfer of the stored object (abort, not close: closing drains the rest over the network). */
    private final Runnable abort;
    private final Counting compressed;
    private final InputStream content;
    private final long size;

    private SourceStream(Runnable abort, Counting compressed, InputStream content, long size) {
        this.abort = abort;
        this.compressed = compressed;
        this.content = content;
        this.size = size;
    }

    /**
     * The whole file, read ahead to be checked later; null when it is larger than {@code maxBytes} after all (it
     * changed since the batch was planned), so that it is streamed like a large file instead of held in memory.
     */
    static byte[] fetch(S3Client s3, Buckets buckets, String key, long maxBytes) throws IOException {
        ResponseInputStream<GetObjectResponse> object = get(s3, buckets, key);
        Long length = object.response().contentLength();
        if (length == null || length > maxBytes) {
            object.abort();
            return null;
        }
        try (object) {
            return object.readAllBytes();
        } catch (IOException e) {
            throw new StorageReadException(e);
        }
    }

    /** A file read ahead by {@link #fetch}. */
    static SourceStream of(byte[] stored, long maxExpansionRatio) throws IOException {
        return of(new ByteArrayInputStream(stored), () -> { }, stored.length, maxExpansionRatio);
    }

    private static ResponseInputStream<GetObjectResponse> get(S3Client s3, Buckets buckets, String key)
            throws SourceFailure {
        try {
            return s3.getObject(b -> b.bucket(buckets.inbox()).key(key));
        } catch (NoSuchKeyException notInInbox) {
            try {
                return s3.getObject(b -> b.bucket(buckets.archive()).key(key));
            } catch (NoSuchKeyException gone) {
                throw new SourceFailure("the file disappeared from the inbox bucket before it was processed");
            }
        }
    }

    /** A stored object as it arrives; {@code abort} ends its transfer early. */
    static SourceStream of(InputStream stored, Runnable abort, long size, long maxExpansionRatio)
            throws IOException {
        Counting compressed = new Counting(stored);
        BufferedInputStream buffered = new BufferedInputStream(compressed, 65_536);
        try {
            buffered.mark(TEXT_SNIFF_BYTES);
            byte[] head = buffered.readNBytes(TEXT_SNIFF_BYTES);
            buffered.reset();
            boolean gzip = head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b;
            InputStream content;
            if (gzip) {
                content = new GzipContent(buffered, compressed, maxExpansionRatio);
            } else if (looksLikeText(head)) {
                content = buffered;
            } else {
                throw new SourceFailure("not gzip (it does not start with the gzip magic bytes 1f 8b) and not JSONL text");
            }
            return new SourceStream(abort, compressed, content, size);
        } catch (IOException | RuntimeException e) {
            abort.run();
            throw e;
        }
    }

    /** JSONL is text: a NUL or other control byte in the first KBs means some binary format. */
    private static boolean looksLikeText(byte[] head) {
        for (byte b : head) {
            if (b >= 0 && b < 0x20 && b != '\n' && b != '\r' && b != '\t' && b != '\f') {
                return false;
            }
        }
        return true;
    }

    InputStream content() {
        return content;
    }

    long size() {
        return size;
    }

    /** Bytes of the stored object read so far (what {@code bytes_read} reports against {@code bytes_total}). */
    long bytesRead() {
        return compressed.count;
    }

    @Override
    public void close() {
        abort.run();
        try {
            content.close(); // frees the gunzip's native inflater now rather than at garbage collection
        } catch (IOException afterAbort) {
            // the connection is gone already
        }
    }

    /** Counts what comes from S3 and tells a storage failure apart from a problem of the file's content. */
    private static final class Counting extends FilterInputStream {
        volatile long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                int b = super.read();
                if (b >= 0) {
                    count++;
                }
                return b;
            } catch (IOException e) {
                throw new StorageReadException(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                int n = super.read(b, off, len);
                if (n > 0) {
                    count += n;
                }
                return n;
            } catch (IOException e) {
                throw new StorageReadException(e);
            }
        }
    }

    /** gunzip that names what went wrong in the file's terms and stops a gzip bomb. */
    private static final class GzipContent extends InputStream {
        private final Gunzip gzip;
        private final Counting compressed;
        private final long maxRatio;
        private long inflated;

        GzipContent(InputStream in, Counting compressed, long maxRatio) throws IOException {
            try {
                this.gzip = new Gunzip(in);
            } catch (Gunzip.Truncated e) {
                throw new SourceFailure("truncated gzip: the file ends inside the gzip header", e);
            } catch (Gunzip.Corrupt e) {
                throw new SourceFailure("corrupt gzip header (" + e.getMessage() + ")", e);
            }
            this.compressed = compressed;
            this.maxRatio = maxRatio;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = gzip.read(b, off, len);
            } catch (Gunzip.Truncated e) {
                throw new SourceFailure("truncated gzip: the file ends before its gzip stream does (an interrupted upload?)", e);
            } catch (Gunzip.Corrupt e) {
                throw new SourceFailure("corrupt gzip data (" + e.getMessage() + ")", e);
            }
            if (n > 0) {
                inflated += n;
                if (inflated > BOMB_CHECK_AFTER && inflated > maxRatio * Math.max(compressed.count, 1)) {
                    throw new SourceFailure("refused as a gzip bomb: it inflates more than " + maxRatio
                            + " times its compressed size");
                }
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            gzip.close();
        }
    }
}

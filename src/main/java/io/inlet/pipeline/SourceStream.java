package io.inlet.pipeline;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

import io.inlet.FileMagic;
import io.inlet.Gunzip;
import io.inlet.storage.Buckets;
import org.apache.commons.io.input.ProxyInputStream;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * One source file as streams of JSONL bytes, read straight from S3 (never whole in memory, never spooled,
 * except small files a batch reads ahead), for {@link JsonlContent}:
 * gunzipped (every member of a multi-member gzip) when its first bytes are the gzip magic, whatever its name;
 * a zip archive's JSONL entries one after the other when they are the zip magic ({@link ZipEntries});
 * refused when it is neither gzip, zip nor text (a gzip's content judged as a plain file's is), when the gzip is
 * truncated or corrupt, or when it inflates like a gzip bomb.
 */
final class SourceStream implements AutoCloseable {

    /** Inflated bytes below this never count as a bomb, whatever the ratio (a small file of blank lines is fine). */
    static final long BOMB_CHECK_AFTER = 64L * 1024 * 1024;
    static final int TEXT_SNIFF_BYTES = 8192;

    /** JSONL bytes to read: the file's own (entry null), or those of the archive entry it names. */
    record Content(String entry, InputStream lines) {
    }

    /** Ends the transfer of the stored object (abort, not close: closing drains the rest over the network). */
    private final Runnable abort;
    private final Counting compressed;
    /** The file's JSONL, when it is no archive; handed out once. */
    private final InputStream content;
    private final ZipEntries archive;
    private final long size;
    private boolean handedOut;

    private SourceStream(Runnable abort, Counting compressed, InputStream content, ZipEntries archive, long size) {
        this.abort = abort;
        this.compressed = compressed;
        this.content = content;
        this.archive = archive;
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
    static SourceStream of(byte[] stored, long maxExpansionRatio, int maxZipEntries) throws IOException {
        return of(new ByteArrayInputStream(stored), () -> { }, stored.length, maxExpansionRatio, maxZipEntries);
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
    static SourceStream of(InputStream stored, Runnable abort, long size, long maxExpansionRatio, int maxZipEntries)
            throws IOException {
        Counting compressed = new Counting(stored);
        BufferedInputStream buffered = new BufferedInputStream(compressed, 65_536);
        try {
            byte[] head = head(buffered);
            if (FileMagic.isZip(head)) {
                return new SourceStream(abort, compressed, null,
                        new ZipEntries(buffered, () -> compressed.count, maxExpansionRatio, maxZipEntries), size);
            }
            InputStream content;
            if (FileMagic.isGzip(head)) {
                content = gunzipped(buffered, compressed, abort, maxExpansionRatio);
            } else if (looksLikeText(head)) {
                content = buffered;
            } else {
                throw new SourceFailure(notText(head));
            }
            return new SourceStream(abort, compressed, content, null, size);
        } catch (IOException | RuntimeException e) {
            abort.run();
            throw e;
        }
    }

    /**
     * A gzip file's content, under the bomb check; refused whole, as a plain file would be, when its first KBs are no
     * text (random bytes gzipped would otherwise be read as lines, rejected one by one and kept as rejected records).
     */
    private static InputStream gunzipped(BufferedInputStream buffered, Counting compressed, Runnable abort,
            long maxExpansionRatio) throws IOException {
        BufferedInputStream inflated = new BufferedInputStream(new InflationCheck(new GzipContent(buffered, null),
                (count, more) -> {
                    if (inflatesLikeABomb(count, compressed.count, maxExpansionRatio)) {
                        throw new SourceFailure("refused as a gzip bomb: it inflates more than " + maxExpansionRatio
                                + " times its compressed size");
                    }
                }), 65_536);
        String binary;
        try {
            binary = binaryReason(inflated);
        } catch (IOException | RuntimeException unreadable) {
            closeAfterAbort(inflated, abort);
            throw unreadable;
        }
        if (binary != null) {
            closeAfterAbort(inflated, abort);
            throw new SourceFailure("gzip, but what it holds is not JSONL text (" + binary + ")");
        }
        return inflated;
    }

    /** Frees the native inflater now; after the abort, so that closing transfers nothing more. */
    private static void closeAfterAbort(InputStream inflated, Runnable abort) {
        abort.run();
        try {
            inflated.close();
        } catch (IOException afterAbort) {
            // the transfer is gone already
        }
    }

    /**
     * Why inflated content is refused whole as some binary format (as a plain file with such a head is), or null when
     * it looks like text; its head is read again after.
     */
    static String binaryReason(BufferedInputStream inflated) throws IOException {
        byte[] head = head(inflated);
        return looksLikeText(head) ? null : binaryEvidence(head);
    }

    /** The first bytes, to tell what the content is; they are read again after. */
    static byte[] head(BufferedInputStream in) throws IOException {
        in.mark(TEXT_SNIFF_BYTES);
        byte[] head = in.readNBytes(TEXT_SNIFF_BYTES);
        in.reset();
        return head;
    }

    /**
     * JSONL is text: control bytes (NUL and the like) in more than one in a hundred of the first KBs, spread over most
     * of its lines, mean some binary format, refused whole. Otherwise they are the problem of the lines they are in,
     * rejected one by one with the reason: a stray NUL in one record must not cost the file's other records, even in
     * a file so short that two NULs make more than one byte in a hundred.
     */
    static boolean looksLikeText(byte[] head) {
        if (controlBytes(head) <= Math.max(1, head.length / 100)) {
            return true;
        }
        int lines = 0;
        int linesWithControl = 0;
        boolean control = false;
        for (int i = 0; i < head.length; i++) {
            control |= isControl(head[i]);
            if (head[i] == '\n' || i == head.length - 1) {
                lines++;
                linesWithControl += control ? 1 : 0;
                control = false;
            }
        }
        return linesWithControl * 2 <= lines;
    }

    /** Why a file of this head, neither gzip nor zip nor text, is refused. */
    static String notText(byte[] head) {
        return "not gzip (it does not start with the gzip magic bytes 1f 8b) and not JSONL text (" + binaryEvidence(head)
                + ")";
    }

    /**
     * Whether gzip content, {@code inflated} bytes of it so far from {@code compressed} bytes of the file, counts as a
     * bomb: past the first {@link #BOMB_CHECK_AFTER} bytes, more than {@code maxExpansionRatio} times.
     */
    static boolean inflatesLikeABomb(long inflated, long compressed, long maxExpansionRatio) {
        return inflated > BOMB_CHECK_AFTER && inflated > maxExpansionRatio * Math.max(compressed, 1);
    }

    /** What makes the head look binary, for the reason: how many control bytes, and where the first is. */
    static String binaryEvidence(byte[] head) {
        int line = 1;
        for (int i = 0; i < head.length; i++) {
            if (isControl(head[i])) {
                return controlBytes(head) + " control bytes in its first " + head.length + " bytes, the first (0x"
                        + String.format("%02x", head[i]) + ") at byte " + (i + 1) + ", on line " + line;
            }
            if (head[i] == '\n') {
                line++;
            }
        }
        return "no control bytes";
    }

    private static int controlBytes(byte[] head) {
        int control = 0;
        for (byte b : head) {
            if (isControl(b)) {
                control++;
            }
        }
        return control;
    }

    private static boolean isControl(byte b) {
        return b >= 0 && b < 0x20 && b != '\n' && b != '\r' && b != '\t' && b != '\f';
    }

    /**
     * The next JSONL to read: the file's own the first time, or the archive's next JSONL entry; null when there is
     * no more. Reading an archive's next entry finishes (and checks) the one before.
     */
    Content next() throws IOException {
        if (archive != null) {
            return archive.next();
        }
        if (handedOut) {
            return null;
        }
        handedOut = true;
        return new Content(null, content);
    }

    /** Whether the file is a zip archive, whose JSONL entries {@link #next} hands out one after the other. */
    boolean isArchive() {
        return archive != null;
    }

    /** What became of a zip archive's entries (entries read, entries refused and why); null for other files. */
    ArchiveEntries archiveEntries() {
        return archive == null ? null : archive.summary();
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
            // frees the native inflaters (gunzip, zip) now rather than at garbage collection
            if (archive != null) {
                archive.close();
            } else {
                content.close();
            }
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

    /** gunzip that names what went wrong in the file's terms, or in those of an archive's entry. */
    static final class GzipContent extends BlockInputStream {
        private final Gunzip gzip;
        /** "the file", or "entry 'name'". */
        private final String subject;
        /** "", or " in entry 'name'". */
        private final String where;

        /** {@code entry}: the archive entry being read, null for the file itself. */
        GzipContent(InputStream in, String entry) throws IOException {
            this.subject = entry == null ? "the file" : "entry '" + entry + "'";
            this.where = entry == null ? "" : " in entry '" + entry + "'";
            try {
                this.gzip = new Gunzip(in);
            } catch (Gunzip.Truncated e) {
                throw new SourceFailure("truncated gzip: " + subject + " ends inside the gzip header", e);
            } catch (Gunzip.Corrupt e) {
                throw new SourceFailure("corrupt gzip header" + where + " (" + e.getMessage() + ")", e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return gzip.read(b, off, len);
            } catch (Gunzip.Truncated e) {
                throw new SourceFailure("truncated gzip: " + subject + " ends before its gzip stream does (an interrupted upload?)", e);
            } catch (Gunzip.Corrupt e) {
                throw new SourceFailure("corrupt gzip data" + where + " (" + e.getMessage() + ")", e);
            }
        }

        @Override
        public void close() throws IOException {
            gzip.close();
        }
    }

    /** Content as it inflates: each read is counted and handed to a check that refuses a bomb. */
    static final class InflationCheck extends ProxyInputStream {

        interface Check {
            /** {@code inflated}: the bytes read so far, {@code more} of them by the last read. */
            void inflated(long inflated, int more) throws SourceFailure;
        }

        private final Check check;
        private long inflated;

        InflationCheck(InputStream in, Check check) {
            super(in);
            this.check = check;
        }

        @Override
        protected void afterRead(int n) throws IOException {
            if (n > 0) {
                inflated += n;
                check.inflated(inflated, n);
            }
        }
    }
}

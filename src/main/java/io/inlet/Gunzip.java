package io.inlet;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * The one gunzip: every member of a gzip file, in order, whatever their sizes and however the bytes arrive.
 * RFC 1952 lets a file be many members one after the other ({@code cat a.gz b.gz}, {@code pigz --independent},
 * bgzip, a {@code gzip -c} per part); {@link java.util.zip.GZIPInputStream} decides whether another member
 * follows from {@code available()}, which a network stream may report as 0 at a member boundary, and then
 * ends early without an error. Bytes after a member that are not another member, and an input that ends
 * inside a member, are errors here, never a quiet end.
 */
public final class Gunzip extends InputStream {

    /** The input ends inside a gzip member (header, data or trailer). */
    public static final class Truncated extends IOException {
        Truncated(String reason, Throwable cause) {
            super(reason, cause);
        }
    }

    /** The input is not gzip, or its compressed data, checksums or what follows a member are wrong. */
    public static final class Corrupt extends IOException {
        Corrupt(String reason, Throwable cause) {
            super(reason, cause);
        }
    }

    private static final String ENDS_INSIDE_A_MEMBER = "it ends before its gzip stream does";

    private final Input input;
    private final GzipCompressorInputStream gzip;

    /**
     * Reads the first member's header already. What the input itself throws (a network failure, say) comes
     * out as it is; only problems of the gzip become {@link Truncated} or {@link Corrupt}.
     */
    public Gunzip(InputStream in) throws IOException {
        this.input = new Input(in);
        try {
            this.gzip = new GzipCompressorInputStream(input, true);
        } catch (IOException e) {
            throw classify(e, "it ends inside the gzip header");
        }
    }

    @Override
    public int read() throws IOException {
        try {
            return gzip.read();
        } catch (IOException e) {
            throw classify(e, ENDS_INSIDE_A_MEMBER);
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return gzip.read(b, off, len);
        } catch (IOException e) {
            throw classify(e, ENDS_INSIDE_A_MEMBER);
        }
    }

    /** Frees the inflater's native memory now rather than at garbage collection, and closes the input. */
    @Override
    public void close() throws IOException {
        gzip.close();
    }

    private IOException classify(IOException e, String truncated) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause == input.failure) {
                return input.failure;
            }
        }
        if (e instanceof EOFException) {
            return new Truncated(truncated, e);
        }
        return new Corrupt(e.getMessage() == null ? "invalid gzip" : e.getMessage(), e);
    }

    /** Remembers what the input itself threw, to tell it apart from what the decoder finds wrong with the gzip. */
    private static final class Input extends FilterInputStream {
        IOException failure;

        Input(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public long skip(long n) throws IOException {
            try {
                return super.skip(n);
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }
    }
}

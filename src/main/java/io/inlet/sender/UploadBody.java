package io.inlet.sender;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongConsumer;

/** What a presigned PUT sends: a length known up front, and the bytes, from the first one again on every attempt. */
interface UploadBody {

    long length();

    /** The bytes from the start; {@code progress} gets the count sent so far. */
    InputStream open(LongConsumer progress) throws IOException;

    /** A file sent as it is: gzip already, or a zip archive. */
    static UploadBody asItIs(Path file, long size) {
        return new UploadBody() {
            @Override
            public long length() {
                return size;
            }

            @Override
            public InputStream open(LongConsumer progress) throws IOException {
                return new Sent(file, size, opened(file, () -> Files.newInputStream(file)), progress);
            }
        };
    }

    /** A plain file, gzipped while it is sent, to the length its first pass found. */
    static UploadBody gzipped(BlockGzip gzip, BlockGzip.Plan plan) {
        return new UploadBody() {
            @Override
            public long length() {
                return plan.gzipBytes();
            }

            @Override
            public InputStream open(LongConsumer progress) throws IOException {
                return new Sent(plan.file(), plan.gzipBytes(), opened(plan.file(), () -> gzip.open(plan)), progress);
            }
        };
    }

    private static InputStream opened(Path file, Opener opener) throws LocalFileException {
        try {
            return opener.open();
        } catch (IOException e) {
            throw LocalFileException.reading(file, e);
        }
    }

    interface Opener {
        InputStream open() throws IOException;
    }

    /**
     * The bytes as the HTTP client takes them: counted for the progress bar, exactly {@code length} of them, and
     * any failure to read them marked as the local file's ({@link LocalFileException}), never retried as a
     * network failure.
     */
    final class Sent extends FilterInputStream {
        private final Path file;
        private final long length;
        private final LongConsumer progress;
        private long count;

        Sent(Path file, long length, InputStream in, LongConsumer progress) {
            super(in);
            this.file = file;
            this.length = length;
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b;
            try {
                b = super.read();
            } catch (IOException e) {
                throw LocalFileException.reading(file, e);
            }
            return counted(b < 0 ? -1 : 1) < 0 ? -1 : b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return counted(super.read(b, off, len));
            } catch (IOException e) {
                throw LocalFileException.reading(file, e);
            }
        }

        private int counted(int n) throws LocalFileException {
            if (n > 0) {
                count += n;
                if (count > length) {
                    throw LocalFileException.changed(file);
                }
                progress.accept(count);
            } else if (n < 0 && count != length) {
                throw LocalFileException.changed(file);
            }
            return n;
        }
    }
}

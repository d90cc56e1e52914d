package io.inlet.pipeline;

import java.io.EOFException;
import java.io.IOException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * A stored object read as it arrives, which goes on where it stopped when its transfer breaks off: a ranged GET of
 * the rest, of the same version only (If-Match its ETag). A file is read at the speed its records are checked, and a
 * highly compressed one is read slowly: S3 (the embedded one after 30 s) closes a connection that long without a
 * read, and the file was then read again from its start, and cut off again, holding the large-file lane for minutes.
 * A version changed meanwhile, or a transfer that keeps breaking off, fails the read as before.
 */
final class ResumingObject extends BlockInputStream {

    private static final Logger LOG = LoggerFactory.getLogger(ResumingObject.class);
    /** Times a read goes on after a break before it gives up (the batch is then retried as for any S3 failure). */
    static final int MAX_RESUMES = 8;

    private final S3Client s3;
    private final String bucket;
    private final String key;
    private final String eTag;
    private final long length;
    private volatile ResponseInputStream<GetObjectResponse> current;
    /** Ended on purpose ({@link #abort}): a read that breaks off then is not resumed. */
    private volatile boolean aborted;
    private long position;
    private int resumes;

    ResumingObject(S3Client s3, String bucket, String key, ResponseInputStream<GetObjectResponse> object) {
        this.s3 = s3;
        this.bucket = bucket;
        this.key = key;
        this.current = object;
        this.eTag = object.response().eTag();
        Long stated = object.response().contentLength();
        this.length = stated == null ? -1 : stated;
    }

    /** The object's length, -1 if not stated. */
    long length() {
        return length;
    }

    @Override
    public int read(byte[] into, int offset, int count) throws IOException {
        while (true) {
            try {
                int n = current.read(into, offset, count);
                if (n > 0) {
                    position += n;
                    if (length >= 0 && position > length) {
                        throw new IllegalStateException("read " + position + " bytes of " + key + ", which has " + length);
                    }
                } else if (n < 0 && length >= 0 && position < length) {
                    throw new EOFException("the transfer ended after " + position + " of " + length + " bytes");
                }
                return n;
            } catch (IOException broken) {
                resume(broken);
            }
        }
    }

    private void resume(IOException broken) throws IOException {
        if (aborted || resumes >= MAX_RESUMES || length < 0 || eTag == null || position >= length) {
            throw broken;
        }
        resumes++;
        current.abort();
        LOG.info("Reading {} broke off at byte {} of {} ({}); going on from there", key, position, length,
                broken.getMessage());
        long from = position;
        ResponseInputStream<GetObjectResponse> rest;
        try {
            rest = s3.getObject(b -> b.bucket(bucket).key(key).range("bytes=" + from + "-").ifMatch(eTag));
        } catch (SdkException again) {
            broken.addSuppressed(again);
            throw broken;
        }
        // exactly the rest of the same version, or nothing: a server that ignored the range or the condition would
        // send the whole object (or another one), and its bytes would follow those already read
        String range = rest.response().contentRange();
        if (range == null || !range.startsWith("bytes " + from + "-") || !eTag.equals(rest.response().eTag())) {
            rest.abort();
            broken.addSuppressed(new IOException("the rest of " + key + " came back as " + range + " of version "
                    + rest.response().eTag() + ", not from byte " + from + " of " + eTag));
            throw broken;
        }
        current = rest;
        if (aborted) {
            rest.abort(); // ended meanwhile: the read ends too
            throw broken;
        }
    }

    /** Ends the transfer (closing would read the rest over the network first); a read under way fails, for good. */
    void abort() {
        aborted = true;
        current.abort();
    }

    @Override
    public void close() throws IOException {
        current.close();
    }
}

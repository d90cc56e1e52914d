package io.inlet.status;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.storage.FileKey;
import io.inlet.storage.LakeKeys;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Reads and writes status documents in the lake bucket. A file's first status document is preceded by its entry in
 * the tenant's {@link UploadIndex}, dated by the document's {@code created_at}, so that every status document is
 * listed (a crash between the two leaves an entry without a document, which the listing answers from the buckets).
 */
public final class StatusStore {

    private final S3Client s3;
    private final String bucket;
    private final ObjectMapper json;
    private final Clock clock;
    private final UploadIndex index;

    public StatusStore(S3Client s3, String bucket, ObjectMapper json, Clock clock, UploadIndex index) {
        this.s3 = s3;
        this.bucket = bucket;
        this.json = json;
        this.clock = clock;
        this.index = index;
    }

    public Optional<UploadStatus> read(String fileKey) {
        try {
            ResponseBytes<GetObjectResponse> stored = s3.getObjectAsBytes(b -> b.bucket(bucket).key(LakeKeys.status(fileKey)));
            UploadStatus status = json.readValue(stored.asByteArray(), UploadStatus.class);
            status.stored(stored.response().eTag());
            return Optional.of(status);
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("Unreadable status document of " + fileKey, e);
        }
    }

    /**
     * A status made here ({@link UploadStatus#of}) is entered in the index on its first write, under its
     * {@code created_at} (now, unless the caller dated it): callers that may write a file's first status twice (a
     * rerun after a crash) date it the same way each time, so that the file keeps one entry.
     */
    public void write(UploadStatus status) {
        put(status, false);
    }

    /**
     * Writes the status only over the document it was read as (or last written as by this instance), or, for a
     * status made here, only where there is none: false, and nothing written, when another write came first. For
     * the writes that must not undo another's: a transition one of two instances may make (confirmed or expired),
     * and progress, which must never stand over a final status written meanwhile.
     */
    public boolean writeIfUnchanged(UploadStatus status) {
        try {
            put(status, true);
            return true;
        } catch (S3Exception e) {
            // 412: another version (404: none, where one was read); 409: another conditional write under way (AWS)
            if (e.statusCode() == 412 || e.statusCode() == 409 || e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    private void put(UploadStatus status, boolean ifUnchanged) {
        if (status.unstored()) {
            if (status.createdAt == null) {
                status.createdAt = now();
            }
            // as a manifest may hold it: a batch an earlier version planned records its files' statuses too
            index.enter(FileKey.ofManifest(status.fileKey).orElseThrow(() -> new IllegalArgumentException(
                    "Not a file key: " + status.fileKey)), Instant.parse(status.createdAt));
        }
        status.updatedAt = now();
        byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(status);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String expected = status.version();
        PutObjectResponse written;
        try {
            written = s3.putObject(b -> {
                b.bucket(bucket).key(LakeKeys.status(status.fileKey)).contentType("application/json");
                if (ifUnchanged && expected != null) {
                    b.ifMatch(expected);
                } else if (ifUnchanged) {
                    b.ifNoneMatch("*");
                }
            }, RequestBody.fromBytes(bytes));
        } catch (S3Exception e) {
            // The SDK tries a write again when its answer was lost; a conditional one then meets its own first
            // attempt, stored: that is this write, not another's (every later write would be refused otherwise)
            if (ifUnchanged && (e.statusCode() == 412 || e.statusCode() == 409)) {
                Optional<String> ours = storedAs(status.fileKey, bytes);
                if (ours.isPresent()) {
                    status.stored(ours.get());
                    return;
                }
            }
            throw e;
        }
        status.stored(written.eTag());
    }

    /** The stored document's ETag when it is exactly these bytes. */
    private Optional<String> storedAs(String fileKey, byte[] bytes) {
        try {
            ResponseBytes<GetObjectResponse> stored = s3.getObjectAsBytes(b -> b.bucket(bucket).key(LakeKeys.status(fileKey)));
            return Arrays.equals(stored.asByteArray(), bytes) ? Optional.of(stored.response().eTag()) : Optional.empty();
        } catch (NoSuchKeyException gone) {
            return Optional.empty();
        }
    }

    public String now() {
        return clock.instant().toString();
    }
}

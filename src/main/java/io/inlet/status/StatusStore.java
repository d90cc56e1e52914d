package io.inlet.status;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.storage.FileKey;
import io.inlet.storage.LakeKeys;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

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
            byte[] bytes = s3.getObjectAsBytes(b -> b.bucket(bucket).key(LakeKeys.status(fileKey))).asByteArray();
            return Optional.of(json.readValue(bytes, UploadStatus.class));
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
        if (status.unstored()) {
            if (status.createdAt == null) {
                status.createdAt = now();
            }
            index.enter(FileKey.parse(status.fileKey).orElseThrow(() -> new IllegalArgumentException(
                    "Not a file key: " + status.fileKey)), Instant.parse(status.createdAt));
        }
        status.updatedAt = now();
        try {
            byte[] bytes = json.writeValueAsBytes(status);
            s3.putObject(b -> b.bucket(bucket).key(LakeKeys.status(status.fileKey)).contentType("application/json"),
                    RequestBody.fromBytes(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        status.stored();
    }

    public String now() {
        return clock.instant().toString();
    }
}

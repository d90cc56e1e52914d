package io.inlet.status;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.storage.LakeKeys;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/** Reads and writes status documents in the lake bucket. */
public final class StatusStore {

    private final S3Client s3;
    private final String bucket;
    private final ObjectMapper json;
    private final Clock clock;

    public StatusStore(S3Client s3, String bucket, ObjectMapper json, Clock clock) {
        this.s3 = s3;
        this.bucket = bucket;
        this.json = json;
        this.clock = clock;
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

    public void write(UploadStatus status) {
        status.updatedAt = now();
        try {
            byte[] bytes = json.writeValueAsBytes(status);
            s3.putObject(b -> b.bucket(bucket).key(LakeKeys.status(status.fileKey)).contentType("application/json"),
                    RequestBody.fromBytes(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String now() {
        return clock.instant().toString();
    }
}

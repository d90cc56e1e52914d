package io.inlet.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.storage.LakeKeys;
import io.inlet.storage.S3Objects;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Batch manifests in the lake bucket: written before a batch's output, deleted after its sources are archived. */
public final class Manifests {

    private final S3Client s3;
    private final String bucket;
    private final ObjectMapper json;

    public Manifests(S3Client s3, String bucket, ObjectMapper json) {
        this.s3 = s3;
        this.bucket = bucket;
        this.json = json;
    }

    void write(BatchManifest manifest) {
        try {
            byte[] bytes = json.writeValueAsBytes(manifest);
            s3.putObject(b -> b.bucket(bucket).key(LakeKeys.manifest(manifest.batchId())).contentType("application/json"),
                    RequestBody.fromBytes(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Optional<BatchManifest> read(String batchId) {
        try {
            byte[] bytes = s3.getObjectAsBytes(b -> b.bucket(bucket).key(LakeKeys.manifest(batchId))).asByteArray();
            return Optional.of(json.readValue(bytes, BatchManifest.class));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("Unreadable manifest " + batchId, e);
        }
    }

    /** The batches whose manifests are still there (sealed and not finished), with when each was last written. */
    Map<String, Instant> pending() {
        Map<String, Instant> pending = new TreeMap<>();
        for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(LakeKeys.MANIFEST_PREFIX)).contents()) {
            String key = object.key();
            if (key.endsWith(".json")) {
                pending.put(key.substring(LakeKeys.MANIFEST_PREFIX.length(), key.length() - ".json".length()),
                        object.lastModified());
            }
        }
        return pending;
    }

    boolean exists(String batchId) {
        return S3Objects.head(s3, bucket, LakeKeys.manifest(batchId)).isPresent();
    }

    void delete(String batchId) {
        s3.deleteObject(b -> b.bucket(bucket).key(LakeKeys.manifest(batchId)));
    }
}

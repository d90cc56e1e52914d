package io.inlet.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.storage.LakeKeys;
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

    /** Ids of the batches whose manifests are still there: planned and not finished. */
    List<String> pendingIds() {
        return s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(LakeKeys.MANIFEST_PREFIX)).contents().stream()
                .map(S3Object::key)
                .filter(k -> k.endsWith(".json"))
                .map(k -> k.substring(LakeKeys.MANIFEST_PREFIX.length(), k.length() - ".json".length()))
                .sorted()
                .toList();
    }

    void delete(String batchId) {
        s3.deleteObject(b -> b.bucket(bucket).key(LakeKeys.manifest(batchId)));
    }
}

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
import software.amazon.awssdk.services.s3.model.S3Exception;
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

    /** A manifest as read, with the ETag that a conditional rewrite names. */
    record Versioned(BatchManifest manifest, String eTag) {
    }

    Optional<Versioned> readVersioned(String batchId) {
        try {
            var response = s3.getObjectAsBytes(b -> b.bucket(bucket).key(LakeKeys.manifest(batchId)));
            return Optional.of(new Versioned(json.readValue(response.asByteArray(), BatchManifest.class),
                    response.response().eTag()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("Unreadable manifest " + batchId, e);
        }
    }

    /**
     * Rewrites the manifest only if it is still the version read ({@code If-Match}), so that of several instances
     * taking over one batch at once, one does. False when another got there first. A server that does not
     * support conditional writes gets a plain PUT: two instances may then both run the batch, which writes the
     * same parts either way.
     */
    boolean replace(BatchManifest manifest, String eTag) {
        try {
            byte[] bytes = json.writeValueAsBytes(manifest);
            s3.putObject(b -> b.bucket(bucket).key(LakeKeys.manifest(manifest.batchId())).contentType("application/json")
                    .ifMatch(eTag), RequestBody.fromBytes(bytes));
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409 || e.statusCode() == 404) {
                return false;
            }
            if (e.statusCode() == 501) {
                write(manifest);
                return true;
            }
            throw e;
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

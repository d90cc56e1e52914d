package io.inlet.pipeline;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.inlet.storage.LakeKeys;
import io.inlet.storage.S3Objects;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Which batch an inbox file belongs to. A claim ({@code _claims/{file_key}} in the lake bucket, naming the batch)
 * is created with a conditional PUT ({@code If-None-Match: *}): of any number of instances that try to claim the
 * same file, at the same moment or later, exactly one succeeds, and that batch alone ever processes the file. A
 * claim is deleted only after the file has left the inbox, so "I created the claim and the file is still in the
 * inbox" means the file is mine and nobody has processed it.
 */
public final class Claims {

    private final S3Client s3;
    private final String bucket;
    private final Manifests manifests;

    public Claims(S3Client s3, String bucket, Manifests manifests) {
        this.s3 = s3;
        this.bucket = bucket;
        this.manifests = manifests;
    }

    /** True when this call created the claim; false when the file is already claimed (by any batch). */
    boolean claim(String fileKey, String batchId) {
        try {
            s3.putObject(b -> b.bucket(bucket).key(LakeKeys.claim(fileKey)).ifNoneMatch("*").contentType("text/plain"),
                    RequestBody.fromString(batchId, StandardCharsets.UTF_8));
            return true;
        } catch (S3Exception e) {
            // 412: it exists. 409: another conditional write of the same key is in progress (AWS S3).
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                return false;
            }
            throw e;
        }
    }

    /** The batch that claimed the file, if it is claimed. */
    Optional<String> batchOf(String fileKey) {
        try {
            return Optional.of(s3.getObjectAsBytes(b -> b.bucket(bucket).key(LakeKeys.claim(fileKey)))
                    .asString(StandardCharsets.UTF_8).trim());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        }
    }

    /** Every claim, by file key, with the time it was made. */
    Map<String, Instant> claimed() {
        Map<String, Instant> claims = new HashMap<>();
        for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(LakeKeys.CLAIM_PREFIX)).contents()) {
            claims.put(object.key().substring(LakeKeys.CLAIM_PREFIX.length()), object.lastModified());
        }
        return claims;
    }

    /**
     * Claims made before {@code olderThan} whose batch has no manifest: the instance that made them stopped
     * before sealing the batch. (A sealed batch keeps its manifest until it has released its claims.)
     */
    Set<String> releaseUnsealed(Map<String, Instant> claims, Instant olderThan) {
        Set<String> released = new HashSet<>();
        for (Map.Entry<String, Instant> claim : claims.entrySet()) {
            if (claim.getValue().isBefore(olderThan)) {
                Optional<String> batch = batchOf(claim.getKey());
                if (batch.isPresent() && !manifests.exists(batch.get())) {
                    release(List.of(claim.getKey()));
                    released.add(claim.getKey());
                }
            }
        }
        return released;
    }

    /** Only once the files are out of the inbox (or were never claimed by a sealed batch). */
    void release(List<String> fileKeys) {
        S3Objects.deleteAll(s3, bucket, fileKeys.stream().map(LakeKeys::claim).toList());
    }
}

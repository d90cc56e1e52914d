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
 *
 * <p>A batch that is never sealed leaves its claims behind. They are not deleted (a delete that comes late could
 * remove the claim of the batch that took the file next) but freed: once the batch's tombstone stands
 * ({@link Manifests#abandon}), a claim naming it is taken over with a conditional rewrite ({@code If-Match} on the
 * version read), which again only one batch wins.
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

    /** A claim as read: the batch it names, its version and when it was made. */
    record Claim(String batchId, String eTag, Instant made) {
    }

    /**
     * True when the file is now claimed for this batch: the claim was created, or taken over from an abandoned batch
     * (or an earlier attempt of this same call made it). False when another batch holds it, sealed or being sealed.
     */
    boolean claim(String fileKey, String batchId) {
        try {
            s3.putObject(b -> b.bucket(bucket).key(LakeKeys.claim(fileKey)).ifNoneMatch("*").contentType("text/plain"),
                    RequestBody.fromString(batchId, StandardCharsets.UTF_8));
            return true;
        } catch (S3Exception e) {
            // 412: it exists. 409: another conditional write of the same key is in progress (AWS S3).
            if (e.statusCode() == 412) {
                return takeOver(fileKey, batchId);
            }
            if (e.statusCode() == 409) {
                return false;
            }
            throw e;
        }
    }

    private boolean takeOver(String fileKey, String batchId) {
        Claim held = read(fileKey).orElse(null);
        if (held == null) {
            return false; // released meanwhile: the file left the inbox (or its message comes back later)
        }
        if (held.batchId().equals(batchId)) {
            return true;
        }
        if (manifests.state(held.batchId()) != Manifests.State.ABANDONED) {
            return false;
        }
        try {
            s3.putObject(b -> b.bucket(bucket).key(LakeKeys.claim(fileKey)).ifMatch(held.eTag()).contentType("text/plain"),
                    RequestBody.fromString(batchId, StandardCharsets.UTF_8));
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409 || e.statusCode() == 404) {
                return false; // another batch took it over first
            }
            throw e;
        }
    }

    /** The file's claim, if it is claimed. */
    Optional<Claim> read(String fileKey) {
        try {
            var response = s3.getObjectAsBytes(b -> b.bucket(bucket).key(LakeKeys.claim(fileKey)));
            return Optional.of(new Claim(response.asString(StandardCharsets.UTF_8).trim(), response.response().eTag(),
                    response.response().lastModified()));
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
     * Of the claims listed, those that are free: their batch is abandoned, or was never sealed although the claim is
     * older than {@code olderThan} (its maker stopped, or gave up without being able to say so) and is abandoned
     * now. A claim's age is the one read, not the one listed: a claim taken over since is young again.
     */
    Set<String> free(Map<String, Instant> claims, Instant olderThan) {
        Set<String> free = new HashSet<>();
        Map<String, Manifests.State> batches = new HashMap<>();
        for (Map.Entry<String, Instant> listed : claims.entrySet()) {
            if (!listed.getValue().isBefore(olderThan)) {
                continue;
            }
            Optional<Claim> claim = read(listed.getKey());
            if (claim.isEmpty() || !claim.get().made().isBefore(olderThan)) {
                continue;
            }
            String batchId = claim.get().batchId();
            Manifests.State state = batches.computeIfAbsent(batchId, manifests::state);
            if (state == Manifests.State.NONE) {
                state = manifests.abandon(batchId, "its claims are older than the claim grace and it was never sealed");
                batches.put(batchId, state);
            }
            if (state == Manifests.State.ABANDONED) {
                free.add(listed.getKey());
            }
        }
        return free;
    }

    /** Only once the files are out of the inbox (or were claimed just now by a batch that will not take them). */
    void release(List<String> fileKeys) {
        S3Objects.deleteAll(s3, bucket, fileKeys.stream().map(LakeKeys::claim).toList());
    }
}

package io.inlet.idempotency;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.storage.LakeKeys;
import io.inlet.storage.S3Objects;
import io.inlet.storage.S3Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Idempotency records in the lake bucket. Every write but the first is conditional on the version read, and the
 * first on there being none ({@code If-None-Match: *}, as claims are made): of several requests with one key, on
 * one instance or many, exactly one creates or takes over a record.
 */
public final class IdempotencyRecords {

    private static final Logger LOG = LoggerFactory.getLogger(IdempotencyRecords.class);

    private final S3Client s3;
    private final String bucket;
    private final ObjectMapper json;
    private final Clock clock;
    private final Duration ttl;

    public IdempotencyRecords(S3Client s3, String bucket, ObjectMapper json, Clock clock, Duration ttl) {
        this.s3 = s3;
        this.bucket = bucket;
        this.json = json;
        this.clock = clock;
        this.ttl = ttl;
    }

    /**
     * A record as read, with its ETag, when S3 last wrote it and S3's time when it was read (both S3's clock: the age
     * of a record is judged by them, not by the reader's clock, which may differ from its writer's).
     */
    record Versioned(IdempotencyRecord record, String eTag, Instant lastModified, Instant s3Now) {

        /** Not written for {@code lease} by S3's clock (its own if S3 did not say its time). */
        boolean silentFor(Duration lease, Instant localNow) {
            return lastModified.plus(lease).isBefore(s3Now == null ? localNow : s3Now);
        }
    }

    Optional<Versioned> read(String key) {
        try {
            var response = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key));
            return Optional.of(new Versioned(json.readValue(response.asByteArray(), IdempotencyRecord.class),
                    response.response().eTag(), response.response().lastModified(),
                    S3Time.of(response.response()).orElse(null)));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("Unreadable idempotency record " + key, e);
        }
    }

    /** The new record's ETag, or empty when a record already exists (another request made it first). */
    Optional<String> create(String key, IdempotencyRecord record) {
        return conditionalPut(key, record, b -> b.ifNoneMatch("*"));
    }

    /**
     * The rewritten record's ETag, or empty when the record is no longer the version read (another request rewrote
     * or the sweep deleted it). A server without conditional writes gets a plain PUT: two requests may then both
     * store the batch, under the same file key with the same bytes.
     */
    Optional<String> replace(String key, IdempotencyRecord record, String eTag) {
        return conditionalPut(key, record, b -> b.ifMatch(eTag));
    }

    private Optional<String> conditionalPut(String key, IdempotencyRecord record,
            Consumer<PutObjectRequest.Builder> condition) {
        byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(record);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return Optional.of(s3.putObject(b -> {
                b.bucket(bucket).key(key).contentType("application/json");
                condition.accept(b);
            }, RequestBody.fromBytes(bytes)).eTag());
        } catch (S3Exception e) {
            // 412: the condition failed. 409: another conditional write of the key is in progress (AWS S3).
            // 404: an If-Match on a record the sweep deleted.
            if (e.statusCode() == 412 || e.statusCode() == 409 || e.statusCode() == 404) {
                return Optional.empty();
            }
            if (e.statusCode() == 501) {
                return Optional.of(s3.putObject(b -> b.bucket(bucket).key(key).contentType("application/json"),
                        RequestBody.fromBytes(bytes)).eTag());
            }
            throw e;
        }
    }

    /**
     * Deletes the records last written a TTL ago or earlier: expired ones, which requests ignore anyway. A page of
     * the listing at a time, so a key used afresh just then loses its new record only if that was written in the
     * round trip between the listing and the delete (a retry of that request could then store its batch twice;
     * nothing is ever lost).
     */
    public void sweep() {
        Instant before = clock.instant().minus(ttl);
        int deleted = 0;
        String token = null;
        do {
            String continuation = token;
            ListObjectsV2Response page = s3.listObjectsV2(b -> b.bucket(bucket).prefix(LakeKeys.IDEMPOTENCY_PREFIX)
                    .continuationToken(continuation));
            List<String> expired = page.contents().stream().filter(o -> o.lastModified().isBefore(before))
                    .map(S3Object::key).toList();
            S3Objects.deleteAll(s3, bucket, expired);
            deleted += expired.size();
            token = page.isTruncated() ? page.nextContinuationToken() : null;
        } while (token != null);
        if (deleted > 0) {
            LOG.info("Deleted {} expired idempotency records (older than {})", deleted, ttl);
        }
    }
}

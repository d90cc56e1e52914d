package io.inlet.storage;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * The service's own writes into the inbox bucket (upload-json's objects, drop-folder hand-overs), stored once
 * whatever happens to S3's answers. The SDK tries a PUT again when its answer is lost (a time-out, a reset) as if it
 * had not been stored; but once stored, an inbox object may be processed, archived and deleted before that retry (an
 * S3 event notification or a reconciliation announces it), and the retry put it back to be processed a second time:
 * every record twice. So these PUTs go one attempt at a time, each tagged with the write's id in the object's
 * metadata (upload-json's also conditional on the key being free, {@code If-None-Match: *}), and before another
 * attempt the inbox and the archive are asked whether this write is there already (a copy to the archive keeps the
 * metadata).
 */
public final class InboxWrites {

    /** S3 user metadata (x-amz-meta-inlet-write): the write that stored the object. */
    public static final String WRITE_ID = "inlet-write";
    /** An attempt that has not been answered by then is given up (bodies in memory only: a streamed file has none). */
    static final Duration IN_MEMORY_ATTEMPT = Duration.ofSeconds(15);
    private static final int ATTEMPTS = 4;

    private final S3Client s3;
    private final S3Client oneAttempt;
    private final Buckets buckets;

    /**
     * @param s3         the service's client, for the questions (HEADs, which the SDK may retry: they change nothing)
     * @param oneAttempt the same client without the SDK's retries, for the PUTs
     */
    public InboxWrites(S3Client s3, S3Client oneAttempt, Buckets buckets) {
        this.s3 = s3;
        this.oneAttempt = oneAttempt;
        this.buckets = buckets;
    }

    /**
     * A body held in memory (upload-json's objects), written only where the key is free: each attempt is bounded in
     * time, and a key held by another write is answered false, nothing stored.
     */
    public boolean put(String key, String contentType, Map<String, String> metadata, byte[] body)
            throws InterruptedException {
        return put(key, contentType, metadata, RequestBody.fromBytes(body), IN_MEMORY_ATTEMPT, true);
    }

    /**
     * A streamed body (a drop-folder file, up to the upload limit): no time bound per attempt but S3's silence, and no
     * condition (the embedded S3 holds a lock through a conditional PUT's body; the caller looked for the key first).
     */
    public void putStreamed(String key, String contentType, RequestBody body) throws InterruptedException {
        put(key, contentType, Map.of(), body, null, false);
    }

    /**
     * Stores the object at {@code key} in the inbox: true once this write is stored (or was, and has moved on to the
     * archive), false when {@code ifFree} and another write holds the key (nothing stored). A failure that outlasts
     * the attempts is thrown; the object may or may not be stored then, as after any failed PUT, but never twice.
     * {@code body} must be readable again for each attempt.
     */
    private boolean put(String key, String contentType, Map<String, String> metadata, RequestBody body,
            Duration attemptTimeout, boolean ifFree) throws InterruptedException {
        String writeId = UUID.randomUUID().toString();
        Map<String, String> tagged = new HashMap<>(metadata);
        tagged.put(WRITE_ID, writeId);
        PutObjectRequest request = PutObjectRequest.builder().bucket(buckets.inbox()).key(key).contentType(contentType)
                .metadata(tagged).ifNoneMatch(ifFree ? "*" : null)
                .overrideConfiguration(o -> {
                    if (attemptTimeout != null) {
                        o.apiCallAttemptTimeout(attemptTimeout);
                    }
                })
                .build();
        for (int attempt = 1; ; attempt++) {
            try {
                oneAttempt.putObject(request, body);
                return true;
            } catch (AwsServiceException refused) {
                if (refused.statusCode() == 412) {
                    // the key is taken: by an earlier attempt of this write whose answer was lost, or by another
                    return stored(key, writeId);
                }
                // 409: another conditional write of the key is under way (an earlier attempt of this one, still
                // being stored): as AWS advises, after a while, again
                if (refused.statusCode() != 409 && !isTransient(refused)) {
                    throw refused;
                }
                if (attempt == ATTEMPTS) {
                    return storedOrThrow(key, writeId, refused);
                }
            } catch (SdkClientException lost) {
                if (attempt == ATTEMPTS) {
                    return storedOrThrow(key, writeId, lost);
                }
            }
            // S3 may have stored what it did not answer: a moment for it to show, then look before trying again
            Thread.sleep(Math.min(2_000, 100L << attempt) + ThreadLocalRandom.current().nextLong(100));
            if (stored(key, writeId)) {
                return true;
            }
        }
    }

    private boolean storedOrThrow(String key, String writeId, SdkException failure) {
        if (stored(key, writeId)) {
            return true;
        }
        throw failure;
    }

    /** Whether this write is in the inbox, or has been processed and is in the archive. */
    private boolean stored(String key, String writeId) {
        for (String bucket : List.of(buckets.inbox(), buckets.archive())) {
            Optional<HeadObjectResponse> head = S3Objects.head(s3, bucket, key);
            if (head.isPresent()) {
                return writeId.equals(head.get().metadata().get(WRITE_ID));
            }
        }
        return false;
    }

    /**
     * What the SDK would have tried again: S3 busy or failing, not a refusal of the request; or refused for a clock
     * more than 15 min off S3's (RequestTimeTooSkewed: not stored, and the SDK signs the next attempt with S3's time),
     * which answered the first upload-json after a start 500.
     */
    private static boolean isTransient(AwsServiceException e) {
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        return e.statusCode() >= 500 || e.statusCode() == 429 || e.isThrottlingException() || e.isClockSkewException()
                || "RequestTimeout".equals(code);
    }
}

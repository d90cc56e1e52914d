package io.inlet.idempotency;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.api.ApiError;
import io.inlet.api.ApiException;
import io.inlet.api.JsonResponses;
import io.inlet.limits.WaitingRoom;
import io.inlet.ops.LogContext;
import io.inlet.storage.Buckets;
import io.inlet.storage.FileKey;
import io.inlet.storage.LakeKeys;
import io.inlet.storage.S3Objects;
import io.inlet.tenant.ApiKeyAuth;
import io.inlet.upload.UploadJson;
import org.apache.camel.Exchange;
import org.apache.camel.component.aws2.s3.AWS2S3Constants;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.apache.camel.support.SynchronizationAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * upload-json's {@code Idempotency-Key} (routes/upload-json.camel.yaml), with Stripe's semantics: the same key with
 * the same body (the same stream and records) within the TTL answers what the first request answered, with the same
 * file key, and stores nothing new; with another body it is refused (422). Only a stored batch is remembered: a
 * request refused for its body, its limits or an outage can be sent again with its key, as a new request.
 *
 * <p>The order that makes it safe (docs/ARCHITECTURE.md, "Safe retries"): the record is created, naming the file
 * key the batch will get, <em>before</em> the batch is written to the inbox, and says "done" only <em>after</em>
 * that write returned. A request that finds a record not done therefore knows which key to look for: if that
 * key is in the inbox or the archive (or has a status document), the batch is stored and the answer is the
 * success for it; if not, and the request that started it is gone (it failed and said so, its instance
 * restarted, or it has been silent for the pipeline's lease timeout), this request takes the record over and
 * writes the same batch (same bytes, same file key). A crash anywhere thus neither loses an acknowledged batch
 * nor stores it twice; only an owner frozen for longer than the lease, whose write then lands after another
 * request has stored and the pipeline archived the same file, would have it processed twice.
 */
public final class IdempotentUploads {

    public static final String HEADER = "Idempotency-Key";
    /** Exchange property the route's choice looks at: the record whose answer this request replays. */
    public static final String REPLAY = "inletIdempotentReplay";
    /** Sent with a replayed answer, as Stripe does. */
    public static final String REPLAYED_HEADER = "Idempotent-Replayed";

    private static final Logger LOG = LoggerFactory.getLogger(IdempotentUploads.class);
    private static final int MAX_KEY_LENGTH = 255;
    /** How long a request waits for another one with its key to finish before answering 409. */
    private static final Duration WAIT_FOR_OTHER = Duration.ofSeconds(2);
    private static final long POLL_MILLIS = 50;
    private static final long MAX_PASSES = 2 * WAIT_FOR_OTHER.toMillis() / POLL_MILLIS;
    private static final String RECORD_KEY = "inletIdempotencyRecordKey";
    private static final String OWNED = "inletIdempotencyOwned";
    private static final String STORED = "inletIdempotencyStored";

    private final IdempotencyRecords records;
    /** How many of a tenant's requests may wait for the one before them with their key (each on a worker thread). */
    private final WaitingRoom waiting;
    private final S3Client s3;
    private final Buckets buckets;
    private final ObjectMapper json;
    private final Clock clock;
    private final String instanceId;
    private final Duration ttl;
    private final Duration lease;
    /** Records this instance's requests are creating or working on, with how many: any other one of its records is dead. */
    private final ConcurrentHashMap<String, Integer> working = new ConcurrentHashMap<>();

    public IdempotentUploads(IdempotencyRecords records, S3Client s3, Buckets buckets, ObjectMapper json, Clock clock,
            String instanceId, Duration ttl, Duration lease, WaitingRoom waiting) {
        this.waiting = waiting;
        this.records = records;
        this.s3 = s3;
        this.buckets = buckets;
        this.json = json;
        this.clock = clock;
        this.instanceId = instanceId;
        this.ttl = ttl;
        this.lease = lease;
    }

    /** A record this request owns: the version it wrote last. */
    private record Owned(IdempotencyRecord record, String eTag) {
    }

    /**
     * Route step, right after authentication: 400 unless the header, when sent, is sent once with 1–255 printable
     * ASCII characters. Only the record's name (the tenant and the key's SHA-256) goes further down the route.
     */
    public void readKey(Exchange exchange) {
        List<String> values = headerValues(exchange);
        if (values.isEmpty()) {
            return;
        }
        if (values.size() > 1) {
            throw invalidKey("is sent " + values.size() + " times; send it once");
        }
        String key = values.get(0);
        if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
            throw invalidKey("is " + key.length() + " characters long; it must have 1 to " + MAX_KEY_LENGTH);
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw invalidKey("has a character that is not printable ASCII at position " + (i + 1)
                        + "; use letters, digits and punctuation (a UUID, say)");
            }
        }
        exchange.setProperty(RECORD_KEY, LakeKeys.idempotency(ApiKeyAuth.tenantOf(exchange), sha256(key.getBytes(StandardCharsets.US_ASCII))));
    }

    /** Whether the request was sent with an Idempotency-Key (read by {@link #readKey}). */
    public static boolean hasKey(Exchange exchange) {
        return exchange.getProperty(RECORD_KEY) != null;
    }

    /**
     * Route step, once the batch is checked and ready for the inbox (its JSONL in the body, its new file key set):
     * without a key, nothing to do. With one, exactly one of: this request owns a new record (or takes over one whose
     * request is gone, then with that request's file key) and goes on to store the batch; {@link #REPLAY} is set
     * for the route to answer what the key's first request answered; 422 for another body under the key; 409 when
     * the key's first request is still being worked on after a short wait.
     */
    public void begin(Exchange exchange) {
        String recordKey = exchange.getProperty(RECORD_KEY, String.class);
        if (recordKey == null) {
            return;
        }
        String fileKey = exchange.getProperty(LogContext.FILE_KEY, String.class);
        String requestSha256 = requestSha256(fileKey, exchange.getMessage().getBody(byte[].class));
        long waitUntil = System.nanoTime() + WAIT_FOR_OTHER.toNanos();
        String tenant = ApiKeyAuth.tenantOf(exchange);
        boolean waits = false;
        try {
            // A pass ends the request, waits for another request with the key, or follows a write another one won.
            for (int pass = 0; ; pass++) {
                if (pass > MAX_PASSES) {
                    throw inProgress();
                }
                Optional<IdempotencyRecords.Versioned> found = records.read(recordKey);
                Instant now = clock.instant();
                if (found.isEmpty() || found.get().record().expired(now, ttl)) {
                    IdempotencyRecord fresh = IdempotencyRecord.started(requestSha256, fileKey, instanceId, now);
                    if (own(exchange, recordKey, fresh, () -> found.isEmpty() ? records.create(recordKey, fresh)
                            : records.replace(recordKey, fresh, found.get().eTag()))) {
                        return;
                    }
                    continue;
                }
                IdempotencyRecords.Versioned current = found.get();
                IdempotencyRecord record = current.record();
                if (!record.requestSha256().equals(requestSha256)) {
                    // no "send it with a new key": a retry whose body differs only in how it was written out (an
                    // earlier version hashed the records re-serialised; a client may escape non-ASCII one day and not
                    // the next) would then be stored twice. The first request's file says what that one stored.
                    // the first request's file only when it is stored (not while it runs, nor when it failed)
                    throw new ApiException(422, "This Idempotency-Key was first used with a different body within the last "
                            + ttl + " (inlet.idempotency.ttl)" + (record.isDone() ? ", stored as " + record.fileKey() : "")
                            + "; this request stored nothing. A retry must send the same records; another batch needs a key"
                            + " of its own",
                            List.of(ApiError.atHeader(HEADER, "was first used with another stream or other records")));
                }
                if (record.isDone()) {
                    replayOf(exchange, record);
                    return;
                }
                Optional<String> ownerGone = whyGone(recordKey, current, now);
                if (ownerGone.isEmpty() && System.nanoTime() < waitUntil) {
                    if (!waits) {
                        if (!waiting.enter(tenant)) {
                            throw inProgress();
                        }
                        waits = true;
                    }
                    pause();
                    continue;
                }
                if (isStored(record.fileKey())) {
                    replayOf(exchange, finishFor(recordKey, current, now));
                    return;
                }
                if (ownerGone.isEmpty()) {
                    throw inProgress();
                }
                IdempotencyRecord takenOver = record.takenOverBy(instanceId, now);
                if (own(exchange, recordKey, takenOver, () -> records.replace(recordKey, takenOver, current.eTag()))) {
                    storeUnder(exchange, record.fileKey());
                    LOG.info("The first request with this Idempotency-Key stopped before storing its batch ({}); this one "
                            + "stores it under the file key that request named", ownerGone.get());
                    return;
                }
            }
        } finally {
            if (waits) {
                waiting.leave(tenant);
            }
        }
    }

    /** Route step for a replay: the first answer, as it was sent (status and body), marked as a replay. */
    public JsonNode replay(Exchange exchange) {
        IdempotencyRecord record = exchange.getProperty(REPLAY, IdempotencyRecord.class);
        JsonResponses.ok(exchange, record.responseBody());
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, record.responseStatus());
        exchange.getMessage().setHeader(REPLAYED_HEADER, "true");
        return record.responseBody();
    }

    /**
     * Route step after the inbox write returned and the answer is made: the record says "done" with that answer.
     * Never before the write: until then, a retry must look for the batch rather than trust the record. If this
     * write fails the batch is stored all the same, so the answer stays the success; a retry finds the batch by
     * its file key.
     */
    public Object complete(Exchange exchange) {
        Object body = exchange.getMessage().getBody();
        Owned owned = exchange.getProperty(OWNED, Owned.class);
        if (owned == null) {
            return body;
        }
        exchange.setProperty(STORED, true);
        String recordKey = exchange.getProperty(RECORD_KEY, String.class);
        int status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 200, Integer.class);
        try {
            records.replace(recordKey, owned.record().done(status, json.valueToTree(body), clock.instant()), owned.eTag());
        } catch (RuntimeException e) {
            LOG.warn("The batch is stored, but its idempotency record could not say so ({}); a retry will find the batch", e.toString());
        }
        return body;
    }

    /**
     * Owns the record if the write succeeds; until the exchange is over, this instance counts it as being worked on,
     * and if the exchange ends without the batch stored, the record says so at once (interrupted), so that a retry
     * takes it over instead of waiting for the lease.
     */
    private boolean own(Exchange exchange, String recordKey, IdempotencyRecord record, Supplier<Optional<String>> write) {
        working.merge(recordKey, 1, Integer::sum);
        Optional<String> eTag;
        try {
            eTag = write.get();
        } catch (RuntimeException e) {
            release(recordKey);
            throw e;
        }
        if (eTag.isEmpty()) {
            release(recordKey);
            return false;
        }
        exchange.setProperty(OWNED, new Owned(record, eTag.get()));
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                try {
                    if (!done.getProperty(STORED, false, Boolean.class)) {
                        records.replace(recordKey, record.interrupted(clock.instant()), eTag.get());
                    }
                } catch (RuntimeException e) {
                    LOG.warn("Could not mark an idempotency record interrupted ({}); a retry takes it over after {}",
                            e.toString(), lease);
                } finally {
                    release(recordKey);
                }
            }
        });
        return true;
    }

    /** Why the request that started a record not done is no longer working on it; empty while it may be. */
    private Optional<String> whyGone(String recordKey, IdempotencyRecords.Versioned read, Instant now) {
        IdempotencyRecord record = read.record();
        if (record.isInterrupted()) {
            return Optional.of("it failed");
        }
        if (record.owner().equals(instanceId) && !working.containsKey(recordKey)) {
            return Optional.of("this instance restarted since");
        }
        if (read.silentFor(lease, now)) {
            return Optional.of("its instance has been silent for " + lease);
        }
        return Optional.empty();
    }

    private void release(String recordKey) {
        working.computeIfPresent(recordKey, (k, n) -> n == 1 ? null : n - 1);
    }

    /**
     * The request that started the record stored its batch but did not get to say so (or is saying so right now):
     * its answer, recorded now unless it has been meanwhile.
     */
    private IdempotencyRecord finishFor(String recordKey, IdempotencyRecords.Versioned found, Instant now) {
        IdempotencyRecord done = found.record().done(200, json.valueToTree(UploadJson.successBody(found.record().fileKey())), now);
        records.replace(recordKey, done, found.eTag());
        return done;
    }

    /** This request answers as the key's first one did, and is about that request's file (in the log too). */
    private static void replayOf(Exchange exchange, IdempotencyRecord record) {
        exchange.setProperty(REPLAY, record);
        LogContext.file(exchange, FileKey.parse(record.fileKey()).orElseThrow());
    }

    /** Takes over the first request's file key: the same batch goes under the same name as it would have. */
    private static void storeUnder(Exchange exchange, String fileKey) {
        LogContext.file(exchange, FileKey.parse(fileKey).orElseThrow());
        exchange.getMessage().setHeader(AWS2S3Constants.KEY, fileKey);
    }

    /** Whether the batch of this file key was stored: it is in the inbox, or processed (archive, status document). */
    private boolean isStored(String fileKey) {
        return S3Objects.head(s3, buckets.inbox(), fileKey).isPresent()
                || S3Objects.head(s3, buckets.archive(), fileKey).isPresent()
                || S3Objects.head(s3, buckets.lake(), LakeKeys.status(fileKey)).isPresent();
    }

    /** The batch as it is stored (stream and JSONL): the same records sent again, however formatted or compressed, match. */
    private static String requestSha256(String fileKey, byte[] jsonl) {
        byte[] stream = (FileKey.parse(fileKey).orElseThrow().stream().wireName() + "\n").getBytes(StandardCharsets.UTF_8);
        MessageDigest digest = digest();
        digest.update(stream);
        return HexFormat.of().formatHex(digest.digest(jsonl));
    }

    private static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for another request with the same Idempotency-Key", e);
        }
    }

    private static ApiException inProgress() {
        return new ApiException(409, "A request with this Idempotency-Key is still being worked on; retry after 1 s to "
                + "get its answer", List.of(ApiError.atHeader(HEADER, "is in use by a request still in progress")),
                Map.of("Retry-After", "1"));
    }

    private static ApiException invalidKey(String why) {
        return ApiException.badRequest("The " + HEADER + " header must be 1 to " + MAX_KEY_LENGTH
                + " printable ASCII characters, sent once", ApiError.atHeader(HEADER, why));
    }

    /** The header as the client sent it; never a query parameter of that name (platform-http makes those headers too). */
    private static List<String> headerValues(Exchange exchange) {
        if (exchange.getIn() instanceof HttpMessage http) {
            return http.getRequest().headers().getAll(HEADER);
        }
        String value = exchange.getIn().getHeader(HEADER, String.class);
        return value == null ? List.of() : List.of(value);
    }
}

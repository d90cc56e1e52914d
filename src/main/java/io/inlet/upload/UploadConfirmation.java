package io.inlet.upload;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.api.ApiError;
import io.inlet.api.ApiException;
import io.inlet.api.JsonResponses;
import io.inlet.api.JsonRequests;
import io.inlet.api.TenantScope;
import io.inlet.limits.TenantLimits;
import io.inlet.metrics.IngestMeters;
import io.inlet.ops.LogContext;
import io.inlet.pipeline.CrashPoints;
import io.inlet.status.StatusStore;
import io.inlet.status.UploadState;
import io.inlet.status.UploadStatus;
import io.inlet.queue.InboxFile;
import io.inlet.queue.WorkQueue;
import io.inlet.storage.Buckets;
import io.inlet.storage.FileKey;
import io.inlet.storage.S3Objects;
import io.inlet.tenant.ApiKeyAuth;
import org.apache.camel.Exchange;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * POST /ingestion/confirm-upload: moves an uploaded file from landing to the inbox, and announces it on
 * the work queue. The 200 is sent once the inbox copy exists. Confirming again is harmless: a file already in
 * the inbox or the archive is not copied again, so it is processed once.
 */
public final class UploadConfirmation {

    private static final Logger LOG = LoggerFactory.getLogger(UploadConfirmation.class);

    private final S3Client s3;
    private final Buckets buckets;
    private final StatusStore statuses;
    private final long maxBytes;
    private final Clock clock;
    private final CrashPoints crashPoints;
    private final WorkQueue queue;
    private final UploadExpiry expiry;
    private final UploadLocks locks;
    private final IngestMeters meters;
    private final TenantLimits limits;

    public UploadConfirmation(S3Client s3, Buckets buckets, StatusStore statuses, long maxBytes, Clock clock,
            CrashPoints crashPoints, WorkQueue queue, UploadExpiry expiry, UploadLocks locks, IngestMeters meters,
            TenantLimits limits) {
        this.expiry = expiry;
        this.locks = locks;
        this.limits = limits;
        this.crashPoints = crashPoints;
        this.meters = meters;
        this.queue = queue;
        this.s3 = s3;
        this.buckets = buckets;
        this.statuses = statuses;
        this.maxBytes = maxBytes;
        this.clock = clock;
    }

    public Map<String, Object> confirm(Exchange exchange) {
        String tenant = ApiKeyAuth.tenantOf(exchange);
        JsonNode request = JsonRequests.request(exchange);
        FileKey key = TenantScope.requireOwnFile(request.get("file_key").asText(), tenant);
        LogContext.file(exchange, key);
        // Presigned uploads count against the tenant's bytes here, where their size is known.
        try (LogContext.Scope about = LogContext.about(key)) {
            locks.whileHeld(key, () -> moveToInbox(key, size -> limits.chargeBytes(tenant, size, "The uploaded file",
                    "it stays uploaded: upload the data as smaller files, or confirm again once the tenant's bytes burst "
                            + "is raised")));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "success");
        body.put("message", "File upload confirmed and processing started");
        return JsonResponses.ok(exchange, body);
    }

    /**
     * Finishes the confirmations that were cut short: a crash (or a storage error the sender never retried)
     * between recording {@code queued} and moving the file would otherwise leave it in landing, queued for
     * ever. Every landing object whose status says it was confirmed is moved on; a landing leftover of a file
     * already in the inbox or the archive is removed. Uploads nobody confirmed are left alone.
     */
    public int resumeInterrupted() {
        int resumed = 0;
        for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(buckets.landing())).contents()) {
            Optional<FileKey> key = FileKey.parse(object.key());
            if (key.isEmpty()) {
                continue;
            }
            Optional<UploadStatus> status = statuses.read(key.get().key());
            if (status.isEmpty() || status.get().state == UploadState.AWAITING_UPLOAD
                    || status.get().state == UploadState.FAILED || status.get().state == UploadState.EXPIRED) {
                continue;
            }
            try (LogContext.Scope about = LogContext.about(key.get())) {
                // confirmed (and counted) before the interruption
                if (locks.whileHeld(key.get(), () -> moveToInbox(key.get(), size -> { }))) {
                    resumed++;
                    LOG.info("Resumed the interrupted confirmation of {}", key.get());
                }
            } catch (ApiException refused) {
                // too large or changed meanwhile: its status says so, as it would have for the sender
                LOG.warn("Interrupted confirmation of {} not resumed: {}", key.get(), refused.getMessage());
            }
        }
        return resumed;
    }

    /**
     * Whether the landing object is not the confirmed file's leftover (a copy the confirmation did not get to delete)
     * but another file PUT since. The copy keeps the bytes, so its ETag (their MD5) is the leftover's: another ETag,
     * or another size, is another file. Only under SSE-KMS do ETags differ for the same bytes; there a file of the same
     * size counts as another only if it was stored after the confirmation (S3 dates objects to the second).
     */
    private boolean putAfterConfirmation(FileKey key, HeadObjectResponse landed, HeadObjectResponse confirmedCopy) {
        if (landed.eTag().equals(confirmedCopy.eTag())) {
            return false;
        }
        if (landed.contentLength().longValue() != confirmedCopy.contentLength().longValue()
                || isMd5(landed) && isMd5(confirmedCopy)) {
            return true;
        }
        return storedAfter(landed, statuses.read(key.key()).map(status -> status.confirmedAt).orElse(null));
    }

    /** Whether the object was stored after the confirmation (S3 dates objects to the second); false when not known. */
    private static boolean storedAfter(HeadObjectResponse landed, String confirmedAt) {
        return confirmedAt != null
                && landed.lastModified().isAfter(Instant.parse(confirmedAt).truncatedTo(ChronoUnit.SECONDS));
    }

    /**
     * Writes "queued" only over the status read (410 if the expiry wrote "expired" first): the status decides between
     * a confirmation and the expiry on another instance. True once "queued" is recorded, by this call or by another
     * confirmation of the same upload (the file is to be moved); false when another confirmation took it further
     * already (processing or done: nothing to move). A write that lost to another conditional write of the key (409
     * on AWS) is tried again over what that one left.
     */
    private boolean recordQueued(FileKey key, UploadStatus queued) {
        UploadStatus status = queued;
        for (int attempt = 0; attempt < 3; attempt++) {
            if (statuses.writeIfUnchanged(status)) {
                return true;
            }
            UploadStatus now = statuses.read(key.key()).orElse(null);
            if (now != null && expiry.isExpired(now, clock.instant())) {
                throw expired(now);
            }
            if (now != null && now.state != UploadState.AWAITING_UPLOAD && !refusedTooLarge(now)) {
                return now.state == UploadState.QUEUED;
            }
            if (now != null) {
                now.state = UploadState.QUEUED;
                now.bytesTotal = queued.bytesTotal;
                now.confirmedAt = queued.confirmedAt;
                status = now;
            }
        }
        throw new ApiException(409, "The upload's status changed again and again while it was being confirmed; "
                + "confirm again", List.of(ApiError.atField("/file_key", "changed during confirmation")));
    }

    private static ApiException expired(UploadStatus status) {
        return new ApiException(410, "This upload expired: it was not confirmed within the grace period after its "
                + "upload URL expired (" + status.uploadUrlExpiresAt + "). Request a new upload URL and upload again",
                List.of(ApiError.atField("/file_key", "expired unconfirmed")));
    }

    private static boolean isMd5(HeadObjectResponse head) {
        ServerSideEncryption encryption = head.serverSideEncryption();
        return (encryption == null || encryption == ServerSideEncryption.AES256) && !head.eTag().contains("-");
    }

    private static ApiException putSinceConfirmed() {
        return new ApiException(409, "This upload was already confirmed, and the file PUT to its URL since then "
                + "was not taken (it was deleted): request a new upload URL for another file",
                List.of(ApiError.atField("/file_key", "already confirmed")));
    }

    private Optional<HeadObjectResponse> inboxOrArchive(FileKey key) {
        return S3Objects.head(s3, buckets.inbox(), key.key()).or(() -> S3Objects.head(s3, buckets.archive(), key.key()));
    }

    /**
     * Whether the status says a batch took the file: processing, done, or failed by the pipeline. A status "failed"
     * without a confirmation time is this class's own refusal of a file too large, after which another PUT to the
     * URL may be confirmed.
     */
    private static boolean takenFurther(UploadStatus status) {
        return status.state == UploadState.PROCESSING || status.state == UploadState.COMPLETED
                || status.state == UploadState.COMPLETED_WITH_ERRORS
                || status.state == UploadState.FAILED && status.confirmedAt != null;
    }

    /** This class's refusal of a file too large: another file PUT to the URL may still be confirmed. */
    private static boolean refusedTooLarge(UploadStatus status) {
        return status.state == UploadState.FAILED && status.confirmedAt == null;
    }

    /** The file was confirmed before: what is in landing is its leftover (deleted), or a file PUT since (409). */
    private void dropLeftover(FileKey key, HeadObjectResponse taken) {
        Optional<HeadObjectResponse> landed = S3Objects.head(s3, buckets.landing(), key.key());
        if (landed.isPresent() && putAfterConfirmation(key, landed.get(), taken)) {
            // Another file PUT to the URL after its upload was confirmed: saying "confirmed" would lose it unsaid.
            s3.deleteObject(b -> b.bucket(buckets.landing()).key(key.key()));
            throw putSinceConfirmed();
        }
        // Confirmed before (perhaps the landing copy outlived a crash): process once, drop the leftover.
        s3.deleteObject(b -> b.bucket(buckets.landing()).key(key.key()));
    }

    /**
     * True when this call moved the file; false when the inbox or archive already had it. {@code admit} sees the size of
     * a file about to be moved (and may refuse it) before anything is recorded.
     */
    private boolean moveToInbox(FileKey key, LongConsumer admit) {
        Optional<HeadObjectResponse> taken = inboxOrArchive(key);
        if (taken.isPresent()) {
            dropLeftover(key, taken.get());
            return false;
        }
        UploadStatus status = statuses.read(key.key())
                .orElseGet(() -> UploadStatus.of(key.key(), key.tenant(), key.stream().wireName(), null));
        if (expiry.isExpired(status, clock.instant())) {
            throw expired(status);
        }
        if (takenFurther(status)) {
            // Confirmed, and processed or being processed, since the look above (this call stalled, or another
            // confirmation was cut short after its copy): copying the landing leftover now would put a processed file
            // back into the inbox, and "queued" written over its final status would stand for good.
            Optional<HeadObjectResponse> now = inboxOrArchive(key);
            if (now.isPresent()) {
                dropLeftover(key, now.get());
            } else {
                // The archive copy is gone (a lifecycle rule): the leftover has the confirmed size and was stored
                // before the confirmation; a file PUT since is refused, not taken for it.
                Optional<HeadObjectResponse> landed = S3Objects.head(s3, buckets.landing(), key.key());
                if (landed.isPresent()) {
                    s3.deleteObject(b -> b.bucket(buckets.landing()).key(key.key()));
                    boolean sameSize = status.bytesTotal != null
                            && landed.get().contentLength().longValue() == status.bytesTotal.longValue();
                    if (!sameSize || storedAfter(landed.get(), status.confirmedAt)) {
                        throw putSinceConfirmed();
                    }
                }
            }
            return false;
        }
        Optional<HeadObjectResponse> landed = S3Objects.head(s3, buckets.landing(), key.key());
        if (landed.isEmpty() && inboxOrArchive(key).isPresent()) {
            return false; // moved meanwhile by another confirmation, and perhaps processed and its leftover dropped
        }
        HeadObjectResponse uploaded = landed.orElseThrow(() -> ApiException.notFound(
                "Nothing was uploaded at this file_key: PUT the file to its upload_url first",
                ApiError.atField("/file_key", "has no uploaded file")));
        if (status.createdAt == null) {
            // no status yet (the key was written to landing without an upload URL): dated by the upload, the same
            // for every confirm of it, so that the file gets one entry in the upload index
            status.createdAt = uploaded.lastModified().toString();
        }
        if (uploaded.contentLength() > maxBytes) {
            status.state = UploadState.FAILED;
            // not confirmed: an earlier confirmation may have recorded "queued" before it was cut short
            status.confirmedAt = null;
            status.bytesTotal = uploaded.contentLength();
            status.failureReason = "the uploaded file is " + uploaded.contentLength() + " bytes, over the limit of "
                    + maxBytes + " bytes; it was deleted";
            status.finishedAt = clock.instant().toString();
            // the status first: a failed write leaves the upload (and any earlier "queued") for the sender to retry
            statuses.write(status);
            s3.deleteObject(b -> b.bucket(buckets.landing()).key(key.key()));
            expiry.closed(key.key());
            throw ApiException.tooLarge("The uploaded file is " + uploaded.contentLength() + " bytes, over the limit of "
                    + maxBytes + " bytes; it was deleted. Split it into smaller files.");
        }
        admit.accept(uploaded.contentLength());
        // Queued is recorded before the copy: once the copy exists the pipeline may take over the document. Only over
        // the status read above: the expiry on another instance may have written "expired" (and be deleting the
        // upload) since.
        status.state = UploadState.QUEUED;
        status.bytesTotal = uploaded.contentLength();
        status.confirmedAt = clock.instant().toString();
        if (!recordQueued(key, status)) {
            // confirmed and taken further by another confirmation meanwhile: what is left in landing is its leftover
            s3.deleteObject(b -> b.bucket(buckets.landing()).key(key.key()));
            return false;
        }
        crashPoints.reached(CrashPoints.CONFIRM_AFTER_STATUS);
        try {
            // The presigned URL is still valid: pin the version whose size was checked.
            s3.copyObject(b -> b.sourceBucket(buckets.landing()).sourceKey(key.key()).copySourceIfMatch(uploaded.eTag())
                    .destinationBucket(buckets.inbox()).destinationKey(key.key()));
        } catch (NoSuchKeyException gone) {
            // Another confirmation (or the pipeline, done with the file) removed the landing copy meanwhile.
            if (inboxOrArchive(key).isPresent()) {
                return false;
            }
            throw gone;
        } catch (S3Exception e) {
            if (e.statusCode() != 412) {
                throw e;
            }
            throw new ApiException(409, "The file at this file_key was uploaded again while it was being confirmed; "
                    + "confirm again", List.of(ApiError.atField("/file_key", "changed during confirmation")));
        }
        queue.announce(new InboxFile(key.key(), uploaded.contentLength()));
        meters.received(key, uploaded.contentLength(), IngestMeters.VIA_CONFIRM_UPLOAD);
        crashPoints.reached(CrashPoints.CONFIRM_AFTER_COPY);
        s3.deleteObject(b -> b.bucket(buckets.landing()).key(key.key()));
        expiry.closed(key.key());
        LOG.info("Confirmed {} ({} bytes)", key, uploaded.contentLength());
        return true;
    }


}

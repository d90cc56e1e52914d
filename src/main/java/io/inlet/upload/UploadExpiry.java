package io.inlet.upload;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import io.inlet.status.StatusStore;
import io.inlet.status.UploadState;
import io.inlet.status.UploadStatus;
import io.inlet.storage.Buckets;
import io.inlet.storage.FileKey;
import io.inlet.storage.S3Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Expires presigned uploads nobody confirmed. generate-upload-url leaves a marker {@code _pending/{file_key}} in
 * the lake bucket (confirm removes it), so this sweep lists only the uploads still open, never every status
 * document. One past its URL's expiry plus the grace period loses its landing object (if it was uploaded at
 * all) and its status becomes {@code expired}; confirm then answers 410. A marker with no status (generate-upload-url
 * failed or stopped between its two writes, marker first: no URL was handed out) is removed once
 * {@link #STATUS_WRITE_WINDOW} old (or as old as an upload expires, if sooner), and holds none of the tenant's open
 * uploads after that. The steps are ordered so that a crash anywhere leaves work the next sweep finishes: status (only
 * over the {@code awaiting_upload} version read, so a confirmation on another instance that recorded {@code queued}
 * first keeps its upload), then landing object, then marker.
 */
public final class UploadExpiry {

    static final String PENDING = "_pending/";
    /**
     * How long a marker without a status may be an upload whose status is still being written; after that none is
     * coming (generate-upload-url failed or stopped between its two writes, so no URL was handed out), and the marker
     * no longer holds one of the tenant's open uploads. Far longer than a status write and its retries take, and than
     * clocks differ.
     */
    static final Duration STATUS_WRITE_WINDOW = Duration.ofMinutes(10);

    private static final Logger LOG = LoggerFactory.getLogger(UploadExpiry.class);

    private final S3Client s3;
    private final Buckets buckets;
    private final StatusStore statuses;
    private final Duration urlExpiry;
    private final Duration grace;
    private final Clock clock;
    private final UploadLocks locks;
    private final OpenUploads open;

    public UploadExpiry(S3Client s3, Buckets buckets, StatusStore statuses, Duration urlExpiry, Duration grace,
            Clock clock, UploadLocks locks) {
        this.urlExpiry = urlExpiry;
        this.s3 = s3;
        this.buckets = buckets;
        this.statuses = statuses;
        this.grace = grace;
        this.clock = clock;
        this.locks = locks;
        this.open = new OpenUploads(s3, buckets.lake(), clock);
    }

    /** How long after its URL expires an unconfirmed upload does. */
    Duration grace() {
        return grace;
    }

    /** The tenants' open uploads, as counted here (reserved by generate-upload-url, closed here). */
    OpenUploads openUploads() {
        return open;
    }

    /** Marks an upload as open, right after its status document (awaiting_upload) is written. */
    void opened(FileKey key) {
        s3.putObject(b -> b.bucket(buckets.lake()).key(PENDING + key.key()), RequestBody.empty());
        open.opened(key.tenant(), key.key());
    }

    /** The upload is confirmed (or refused for good): nothing left to expire. */
    void closed(String fileKey) {
        removeMarker(fileKey);
        FileKey.parse(fileKey).ifPresent(key -> open.closed(key.tenant(), key.key()));
    }

    /** The sweep's own: what it finds still open is the count from then on. */
    private void removeMarker(String fileKey) {
        s3.deleteObject(b -> b.bucket(buckets.lake()).key(PENDING + fileKey));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** True when an upload in this status may no longer be confirmed. */
    boolean isExpired(UploadStatus status, Instant now) {
        if (status.state == UploadState.EXPIRED) {
            return true;
        }
        return status.state == UploadState.AWAITING_UPLOAD && status.uploadUrlExpiresAt != null
                && now.isAfter(Instant.parse(status.uploadUrlExpiresAt).plus(grace));
    }

    /** The sweep (route {@code upload-expiry}): the number of uploads it expired. Counts the open ones anew. */
    public int expire() {
        int expired = 0;
        Instant now = clock.instant();
        Map<String, Set<String>> stillOpen = new HashMap<>();
        open.listing();
        try {
            for (ListObjectsV2Response page : s3.listObjectsV2Paginator(b -> b.bucket(buckets.lake()).prefix(PENDING))) {
                // a marker's age by S3's clock, which dated it (this instance's may run ahead)
                Instant s3Now = S3Time.of(page).orElse(now);
                for (S3Object marker : page.contents()) {
                    expired += look(marker, s3Now, now, stillOpen);
                }
            }
        } catch (RuntimeException e) {
            open.notListed();
            throw e;
        }
        open.listed(stillOpen);
        return expired;
    }

    /** One marker: its upload expired (1) or not (0); a marker of an upload still open is counted in {@code stillOpen}. */
    private int look(S3Object marker, Instant s3Now, Instant now, Map<String, Set<String>> stillOpen) {
        String fileKey = marker.key().substring(PENDING.length());
        Optional<FileKey> key = FileKey.parse(fileKey);
        if (key.isEmpty()) {
            removeMarker(fileKey);
            return 0;
        }
        Outcome outcome;
        try {
            outcome = expireOne(key.get(), marker.lastModified(), s3Now, now);
        } catch (S3Exception refused) {
            if (refused.statusCode() >= 500) {
                throw refused; // S3 itself: the whole sweep next time
            }
            // this upload's objects only (access denied, say): the others go on
            LOG.warn("Upload {} could not be checked for expiry ({}); next time", key.get(), refused.getMessage());
            outcome = Outcome.OPEN;
        } catch (SdkException unreachable) {
            throw unreachable; // S3 unreachable: the whole sweep next time
        } catch (RuntimeException e) {
            // one upload (its status unreadable, say) holds up neither the others nor the count
            LOG.warn("Upload {} could not be checked for expiry ({}); next time", key.get(), e.getMessage());
            outcome = Outcome.OPEN;
        }
        if (outcome == Outcome.OPEN) {
            stillOpen.computeIfAbsent(key.get().tenant(), t -> new HashSet<>()).add(key.get().key());
        }
        return outcome == Outcome.EXPIRED ? 1 : 0;
    }

    private enum Outcome { OPEN, EXPIRED, CLOSED }

    /** {@code markedAt} and {@code s3Now} by S3's clock; {@code now}, the status's times, by the instance's. */
    private Outcome expireOne(FileKey key, Instant markedAt, Instant s3Now, Instant now) {
        return locks.whileHeld(key, () -> {
            Optional<UploadStatus> status = statuses.read(key.key());
            Duration statusWindow = min(urlExpiry.plus(grace), STATUS_WRITE_WINDOW);
            if (status.isEmpty() && markedAt != null && markedAt.isAfter(s3Now.minus(statusWindow))) {
                // generate-upload-url writes the marker, then the status: this one may be being made right now
                return Outcome.OPEN;
            }
            if (status.isEmpty() || status.get().state != UploadState.AWAITING_UPLOAD) {
                // confirmed, refused or expired already: the marker outlived a crash (after an expiry, before the
                // upload was deleted)
                if (status.isPresent() && status.get().state == UploadState.EXPIRED) {
                    s3.deleteObject(b -> b.bucket(buckets.landing()).key(key.key()));
                }
                removeMarker(key.key());
                return Outcome.CLOSED;
            }
            if (!isExpired(status.get(), now)) {
                return Outcome.OPEN;
            }
            UploadStatus expired = status.get();
            expired.state = UploadState.EXPIRED;
            expired.finishedAt = now.toString();
            expired.failureReason = "not confirmed by " + Instant.parse(expired.uploadUrlExpiresAt).plus(grace)
                    + " (the upload URL's expiry plus " + grace + "); anything uploaded was deleted";
            // The status decides, not the lock (which holds in this instance only): a confirmation on another
            // instance that wrote "queued" first keeps its upload, and one that comes later finds "expired" (410).
            if (!statuses.writeIfUnchanged(expired)) {
                LOG.info("Upload {} was not expired: its status changed meanwhile (confirmed on another instance?)", key);
                return Outcome.CLOSED;
            }
            s3.deleteObject(b -> b.bucket(buckets.landing()).key(key.key()));
            removeMarker(key.key());
            LOG.info("Upload {} expired unconfirmed", key);
            return Outcome.EXPIRED;
        });
    }
}

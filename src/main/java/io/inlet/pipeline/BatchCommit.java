package io.inlet.pipeline;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.inlet.metrics.IngestMeters;
import io.inlet.ops.LogContext;
import io.inlet.status.StatusStore;
import io.inlet.status.UploadState;
import io.inlet.status.UploadStatus;
import io.inlet.storage.BoundedS3Calls;
import io.inlet.storage.Buckets;
import io.inlet.storage.FileKey;
import io.inlet.storage.S3Objects;
import io.inlet.storage.SharedInboxObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * The end of a batch, once all its output is durable: each file's final status document, then each file
 * moved from the inbox to the archive, its claim released, then the manifest deleted. A crash anywhere in here leaves the
 * manifest, and the batch is run again (same output names) and committed again.
 */
public final class BatchCommit {

    private static final Logger LOG = LoggerFactory.getLogger(BatchCommit.class);

    private final S3Client s3;
    private final Buckets buckets;
    private final StatusStore statuses;
    private final Manifests manifests;
    private final BatchSweep sweep;
    private final Claims claims;
    private final CrashPoints crashPoints;
    private final BoundedS3Calls calls;
    private final IngestMeters meters;
    private final BatchParts parts;

    public BatchCommit(S3Client s3, Buckets buckets, StatusStore statuses, Manifests manifests, BatchSweep sweep,
            Claims claims, CrashPoints crashPoints, BoundedS3Calls calls, IngestMeters meters) {
        this.calls = calls;
        this.meters = meters;
        this.s3 = s3;
        this.buckets = buckets;
        this.statuses = statuses;
        this.manifests = manifests;
        this.sweep = sweep;
        this.claims = claims;
        this.crashPoints = crashPoints;
        this.parts = new BatchParts(s3, buckets.lake());
    }

    public void recordStatuses(BatchOutcome outcome) {
        // a stalled run whose batch was taken over (and maybe committed since) writes nothing now
        sweep.confirmOwnership(outcome.manifest().batchId());
        calls.map(outcome.sources(), result -> {
            statuses.write(finalStatus(result));
            return result;
        });
        crashPoints.reached(CrashPoints.AFTER_OUTPUT);
    }

    /**
     * Inbox → archive for every file of the batch: all copies (side by side), then the inbox copies deleted in
     * DeleteObjects calls of up to 1,000 keys. A file an earlier attempt already moved is left as it is; a crash
     * between the copies and the deletes leaves the manifest, and the rerun copies and deletes again.
     */
    public void archive(BatchOutcome outcome) {
        // again: the statuses may have taken long enough for a stall to let another instance take the batch over
        sweep.confirmOwnership(outcome.manifest().batchId());
        Map<String, String> confirmedAt = new HashMap<>();
        for (SourceResult result : outcome.sources()) {
            if (result.status() != null && result.status().confirmedAt != null) {
                confirmedAt.put(result.key().key(), result.status().confirmedAt);
            }
        }
        archive(outcome.manifest(), confirmedAt);
    }

    /** As {@link #archive(BatchOutcome)}, for a batch given up; its files' confirmation times are not at hand. */
    void archive(BatchManifest manifest) {
        archive(manifest, Map.of());
    }

    private void archive(BatchManifest manifest, Map<String, String> confirmedAt) {
        List<String> keys = manifest.sources().stream().map(BatchManifest.Source::key).toList();
        List<Archived> archived = calls.map(manifest.sources(), source -> {
            try {
                CopyObjectResponse copy = s3.copyObject(b -> b.sourceBucket(buckets.inbox()).sourceKey(source.key())
                        .destinationBucket(buckets.archive()).destinationKey(source.key()));
                return new Archived(source.key(), source.size(), copy.copyObjectResult().eTag(),
                        plainMd5(copy.serverSideEncryption()));
            } catch (NoSuchKeyException alreadyMoved) {
                return null;
            }
        }).stream().filter(Objects::nonNull).toList();
        dropLandingLeftovers(archived, confirmedAt);
        S3Objects.deleteAll(s3, buckets.inbox(), archived.stream().map(Archived::key).toList());
        // Only now: a claim exists as long as its file may still be in the inbox.
        claims.release(keys);
    }

    /** A file copied to the archive: its size as planned, the copy's ETag, and whether that ETag is its bytes' MD5. */
    private record Archived(String key, long size, String eTag, boolean md5) {
    }

    /** Whether objects stored so have their bytes' MD5 as ETag (not under SSE-KMS, where every copy gets its own). */
    private static boolean plainMd5(ServerSideEncryption encryption) {
        return encryption == null || encryption == ServerSideEncryption.AES256;
    }

    /**
     * A presigned upload's landing copy, left when its confirmation was cut short between its copy into the inbox and
     * its delete: removed before the file leaves the inbox, so that a confirmation of the same upload still under way
     * (a retry, another instance's, one stalled) finds nothing to copy, rather than putting the processed file back
     * into the inbox once its claim is gone. Only an object of the same bytes (its ETag) is the leftover: a file PUT
     * to the URL since is left for its confirmation to refuse.
     */
    private void dropLandingLeftovers(List<Archived> archived, Map<String, String> confirmedAt) {
        List<Archived> presigned = archived.stream()
                .filter(a -> FileKey.ofManifest(a.key()).filter(k -> FileKey.SOURCE_API.equals(k.source()) && !k.isUploadJson())
                        .isPresent())
                .toList();
        if (presigned.isEmpty()) {
            return;
        }
        List<String> leftovers = calls.map(presigned, a -> S3Objects.head(s3, buckets.landing(), a.key())
                .filter(landed -> isLeftover(landed, a, confirmedAt.get(a.key()))).map(landed -> a.key()).orElse(null))
                .stream().filter(Objects::nonNull).toList();
        S3Objects.deleteAll(s3, buckets.landing(), leftovers);
    }

    /**
     * Whether the landing object holds the archived file's bytes: the same ETag where both are MD5s; otherwise (SSE-KMS,
     * a multipart upload), as the confirmation itself judges a leftover, the same size and stored no later than the
     * confirmation (S3 dates to the second); kept when the confirmation time is unknown.
     */
    private static boolean isLeftover(HeadObjectResponse landed, Archived archived, String confirmedAt) {
        boolean comparable = archived.md5() && plainMd5(landed.serverSideEncryption()) && !landed.eTag().contains("-");
        if (comparable) {
            return landed.eTag().equals(archived.eTag());
        }
        return confirmedAt != null && landed.contentLength() == archived.size()
                && !landed.lastModified().isAfter(Instant.parse(confirmedAt).truncatedTo(ChronoUnit.SECONDS));
    }

    /** Withdraws every part any run of this batch wrote (empty parts in their place, see BatchParts). */
    void withdrawParts(BatchManifest manifest) {
        parts.withdrawAll(manifest);
    }

    public void finish(BatchOutcome outcome) {
        crashPoints.reached(CrashPoints.AFTER_ARCHIVE);
        // and before the manifest goes: a new owner's run ends (taken over) when it finds it gone
        try {
            sweep.confirmOwnership(outcome.manifest().batchId());
            manifests.delete(outcome.manifest().batchId());
        } catch (BatchTakenOver gone) {
            // gone, not another's: the batch is finished (this commit's own delete whose answer was lost and the step
            // retried, or a new owner that committed it meanwhile)
            if (gone.owner() != null) {
                throw gone;
            }
        }
        sweep.finished(outcome.manifest().batchId());
        for (SourceResult result : outcome.sources()) {
            try (LogContext.Scope about = LogContext.about(result.key())) {
                LOG.info("{}: {} ({} accepted, {} rejected{}{})", result.key(), stateOf(result).wireName(),
                        result.recordsAccepted(), result.recordsRejected(),
                        result.archive() == null ? "" : "; " + result.archive().read() + " zip entries read, "
                                + result.archive().refused() + " refused",
                        result.failureReason() == null ? "" : "; " + result.failureReason());
            }
            processed(meters, result.key(), result.status().batches, stateOf(result), result.recordsAccepted(),
                    result.recordsRejected());
        }
    }

    /** Counts a file that reached a final state; an object shared by upload-json batches counts as its batches. */
    static void processed(IngestMeters meters, FileKey key, List<UploadStatus.SharedBatch> batches, UploadState state,
            long accepted, long rejected) {
        if (batches == null) {
            meters.processed(key, state, accepted, rejected);
            return;
        }
        for (int i = 0; i < batches.size(); i++) {
            UploadStatus.SharedBatch batch = batches.get(i);
            if (state == UploadState.FAILED) {
                meters.processed(SharedInboxObject.batchKey(key, i + 1), state, 0, 0);
            } else {
                meters.processed(SharedInboxObject.batchKey(key, i + 1),
                        batch.rejected() > 0 ? UploadState.COMPLETED_WITH_ERRORS : UploadState.COMPLETED,
                        batch.records() - batch.rejected(), batch.rejected());
            }
        }
    }

    static UploadState stateOf(SourceResult result) {
        if (result.failureReason() != null) {
            return UploadState.FAILED;
        }
        boolean entriesRefused = result.archive() != null && result.archive().refused() > 0;
        return result.recordsRejected() > 0 || entriesRefused ? UploadState.COMPLETED_WITH_ERRORS : UploadState.COMPLETED;
    }

    private UploadStatus finalStatus(SourceResult result) {
        UploadStatus status = result.status();
        String now = statuses.now();
        if (status.startedAt == null) {
            status.startedAt = now;
        }
        status.state = stateOf(result);
        status.bytesTotal = result.bytesTotal();
        status.bytesRead = result.failureReason() == null ? result.bytesTotal() : null;
        status.recordsAccepted = result.recordsAccepted();
        status.recordsRejected = result.recordsRejected();
        status.firstRejections = result.firstRejections();
        status.rejectedKey = result.rejectedKey();
        status.rejectedNotKept = result.rejectedNotKept() > 0 ? result.rejectedNotKept() : null;
        ArchiveEntries archive = result.archive();
        status.entriesRead = archive == null ? null : archive.read();
        status.entriesRefused = archive == null ? null : archive.refused();
        status.refusedEntries = archive == null ? null : archive.firstRefused();
        status.lakeBucket = buckets.lake();
        status.lakeKeys = result.lakeKeys();
        status.failureReason = result.failureReason();
        status.finishedAt = now;
        if (status.batches != null && result.batchesRejected() != null
                && result.batchesRejected().size() == status.batches.size()) {
            List<UploadStatus.SharedBatch> batches = new ArrayList<>(status.batches.size());
            for (int i = 0; i < status.batches.size(); i++) {
                UploadStatus.SharedBatch batch = status.batches.get(i);
                batches.add(new UploadStatus.SharedBatch(batch.records(), batch.bytes(), result.batchesRejected().get(i)));
            }
            status.batches = batches;
        }
        return status;
    }
}

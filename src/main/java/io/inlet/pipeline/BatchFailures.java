package io.inlet.pipeline;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import io.inlet.metrics.IngestMeters;
import io.inlet.status.StatusStore;
import io.inlet.status.UploadState;
import io.inlet.status.UploadStatus;
import io.inlet.storage.FileKey;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dead-lettering for batches that failed for a reason outside the files (S3 unreachable, disk full) even after
 * the route's redeliveries: the attempt is counted in the manifest and the batch is retried later with a
 * growing delay; after {@code inlet.pipeline.max-attempts} its files are marked failed with the reason and
 * moved to the archive, so nothing stays stuck and nothing is silently dropped.
 */
public final class BatchFailures {

    public static final String MANIFEST = "inletBatchManifest";
    private static final Logger LOG = LoggerFactory.getLogger(BatchFailures.class);

    private final Manifests manifests;
    private final BatchSweep sweep;
    private final StatusStore statuses;
    private final BatchCommit commit;
    private final int maxAttempts;
    private final Duration firstDelay;
    private final Clock clock;
    private final IngestMeters meters;

    public BatchFailures(Manifests manifests, BatchSweep sweep, StatusStore statuses, BatchCommit commit, int maxAttempts,
            Duration firstDelay, Clock clock, IngestMeters meters) {
        this.meters = meters;
        this.manifests = manifests;
        this.sweep = sweep;
        this.statuses = statuses;
        this.commit = commit;
        this.maxAttempts = maxAttempts;
        this.firstDelay = firstDelay;
        this.clock = clock;
    }

    public void record(Exchange exchange) {
        BatchManifest manifest = exchange.getProperty(MANIFEST, BatchManifest.class);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String error = cause == null ? "unknown error" : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        if (manifest == null) {
            // Failed before the batch was sealed: nothing was claimed for good, and its queue messages were not
            // acknowledged, so they come back after their visibility timeout and are planned again.
            LOG.warn("Could not seal a batch; its files are planned again when their messages come back: {}", error);
            return;
        }
        Optional<BatchManifest> current;
        try {
            current = manifests.read(manifest.batchId());
        } catch (RuntimeException e) {
            current = Optional.of(manifest);
        }
        if (current.isEmpty() || !Objects.equals(current.get().owner(), manifest.owner())) {
            // Another instance took the batch over while this one was stalled (and may have finished it): it is
            // not this instance's to retry or to give up on.
            LOG.warn("Batch {} failed here ({}), but it was taken over by {}; leaving it to that instance",
                    manifest.batchId(), error, current.map(BatchManifest::owner).orElse("another instance, which finished it"));
            sweep.finished(manifest.batchId());
            return;
        }
        int attempt = manifest.attempts() + 1;
        // Whatever happens below, the batch goes back to the scanner with a time to try again: S3 being down
        // is the usual reason to be here, and it may still be down.
        BatchManifest retry = manifest.failedAttempt(error, clock.instant().plus(delayAfter(attempt)));
        try {
            if (attempt < maxAttempts) {
                LOG.error("Batch {} failed (attempt {} of {}), retrying after {}: {}", manifest.batchId(), attempt,
                        maxAttempts, retry.retryAfter(), error, cause);
                manifests.write(retry);
                sweep.retryLater(retry);
            } else {
                giveUp(manifest, attempt, error, cause);
                sweep.finished(manifest.batchId());
            }
        } catch (RuntimeException e) {
            LOG.warn("Could not record the failure of batch {} ({}); it is tried again after {}", manifest.batchId(),
                    e.getMessage(), retry.retryAfter());
            sweep.retryLater(retry);
        }
    }

    /** The first delay (30 s by default), doubling, at most 15 min: by default about 1 h 45 min in all. */
    Duration delayAfter(int attempt) {
        Duration delay = firstDelay.multipliedBy(1L << Math.min(attempt - 1, 10));
        return delay.compareTo(Duration.ofMinutes(15)) > 0 ? Duration.ofMinutes(15) : delay;
    }

    /**
     * Its files are marked failed (the reason in their status) and archived, where they can be replayed from by
     * copying them back into the inbox. Whatever any attempt wrote to the lake is deleted first, found by the
     * batch id in the part names, so a failed file leaves no records behind.
     */
    private void giveUp(BatchManifest manifest, int attempt, String error, Throwable cause) {
        LOG.error("Batch {} failed {} times; marking its {} files failed and archiving them: {}", manifest.batchId(),
                attempt, manifest.sources().size(), error, cause);
        commit.deleteParts(manifest);
        for (BatchManifest.Source source : manifest.sources()) {
            FileKey key = FileKey.parse(source.key()).orElseThrow();
            UploadStatus status = statuses.read(key.key()).orElseGet(() -> BatchManifest.firstStatus(manifest, key));
            status.state = UploadState.FAILED;
            status.failureReason = "could not be processed after " + attempt + " attempts (" + error
                    + "); the file is kept in the archive bucket";
            status.finishedAt = statuses.now();
            List<UploadStatus.SharedBatch> batches = source.sharedBatches();
            if (batches != null) {
                status.batches = batches;
            }
            statuses.write(status);
        }
        commit.archive(manifest);
        manifests.delete(manifest.batchId());
        for (BatchManifest.Source source : manifest.sources()) {
            FileKey.parse(source.key()).ifPresent(key -> BatchCommit.processed(meters, key, source.sharedBatches(),
                    UploadState.FAILED, 0, 0));
        }
    }
}

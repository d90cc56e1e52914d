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
        long readFrom = System.nanoTime();
        Optional<Manifests.Versioned> current = Optional.empty();
        boolean read;
        try {
            current = manifests.readVersioned(manifest.batchId()).filter(v -> !v.abandoned());
            read = true;
        } catch (RuntimeException e) {
            read = false; // S3 is likely what failed: the batch stays here, to be tried again
        }
        if (read && (current.isEmpty() || !Objects.equals(current.get().manifest().owner(), manifest.owner()))) {
            takenOver(manifest, error, current.map(v -> v.manifest().owner()).orElse(null));
            return;
        }
        int attempt = manifest.attempts() + 1;
        // Whatever happens below, the batch goes back to the scanner with a time to try again: S3 being down
        // is the usual reason to be here, and it may still be down.
        BatchManifest retry = manifest.failedAttempt(error, clock.instant().plus(delayAfter(attempt)));
        try {
            if (takenOverIn(cause)) {
                // the manifest names this instance again (taken over and back since): run it again, not an attempt
                sweep.retryLater(manifest, readFrom);
            } else if (attempt < maxAttempts) {
                LOG.error("Batch {} failed (attempt {} of {}), retrying after {}: {}", manifest.batchId(), attempt,
                        maxAttempts, retry.retryAfter(), error, cause);
                if (!read) {
                    throw new IllegalStateException("its manifest could not be read");
                }
                // only if it is still the version read: an instance that took the batch over since has rewritten it
                if (!manifests.replace(retry, current.get().eTag())) {
                    takenOver(manifest, error, null);
                    return;
                }
                sweep.retryLater(retry, readFrom);
            } else {
                if (!read) {
                    throw new IllegalStateException("its manifest could not be read");
                }
                // the same fence as a retry's, at the last moment before anything is withdrawn: an owner that stalled
                // since the read must not withdraw the committed parts of an instance that took the batch over
                if (!manifests.replace(retry, current.get().eTag())) {
                    takenOver(manifest, error, null);
                    return;
                }
                giveUp(manifest, attempt, error, cause);
                sweep.finished(manifest.batchId());
            }
        } catch (RuntimeException e) {
            LOG.warn("Could not record the failure of batch {} ({}); it is tried again after {}", manifest.batchId(),
                    e.getMessage(), retry.retryAfter());
            sweep.retryLater(retry, null);
        }
    }

    private static boolean takenOverIn(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof BatchTakenOver) {
                return true;
            }
        }
        return false;
    }

    /**
     * Another instance took the batch over while this one was stalled (and may have finished it): it is not this
     * instance's to retry or to give up on, and nothing of it is touched here.
     */
    private void takenOver(BatchManifest manifest, String error, String owner) {
        LOG.warn("Batch {} stopped here ({}); it was taken over by {}, and is left to that instance", manifest.batchId(),
                error, owner == null ? "another instance" : owner);
        sweep.finished(manifest.batchId());
    }

    /** The first delay (30 s by default), doubling, at most 15 min: by default about 1 h 45 min in all. */
    Duration delayAfter(int attempt) {
        Duration delay = firstDelay.multipliedBy(1L << Math.min(attempt - 1, 10));
        return delay.compareTo(Duration.ofMinutes(15)) > 0 ? Duration.ofMinutes(15) : delay;
    }

    /**
     * Its files are marked failed (the reason in their status) and archived, where they can be replayed from by
     * copying them back into the inbox. Whatever any attempt wrote to the lake is withdrawn first (empty parts in its
     * place), found by the batch id in the part names, so a failed file leaves no records behind.
     */
    private void giveUp(BatchManifest manifest, int attempt, String error, Throwable cause) {
        LOG.error("Batch {} failed {} times; marking its {} files failed and archiving them: {}", manifest.batchId(),
                attempt, manifest.sources().size(), error, cause);
        commit.withdrawParts(manifest);
        for (BatchManifest.Source source : manifest.sources()) {
            FileKey key = FileKey.ofManifest(source.key()).orElseThrow();
            UploadStatus status = statuses.read(key.key()).orElseGet(() -> BatchManifest.firstStatus(manifest, key));
            status.state = UploadState.FAILED;
            // nothing of it is in the lake: what a run's progress (or an earlier status) said was written is withdrawn
            status.lakeKeys = null;
            status.recordsAccepted = 0L;
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
            FileKey.ofManifest(source.key()).ifPresent(key -> BatchCommit.processed(meters, key, source.sharedBatches(),
                    UploadState.FAILED, 0, 0));
        }
    }
}

package io.inlet.pipeline;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

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
    private final InboxScanner scanner;
    private final StatusStore statuses;
    private final BatchCommit commit;
    private final int maxAttempts;
    private final Clock clock;

    public BatchFailures(Manifests manifests, InboxScanner scanner, StatusStore statuses, BatchCommit commit, int maxAttempts,
            Clock clock) {
        this.manifests = manifests;
        this.scanner = scanner;
        this.statuses = statuses;
        this.commit = commit;
        this.maxAttempts = maxAttempts;
        this.clock = clock;
    }

    public void record(Exchange exchange) {
        BatchManifest manifest = exchange.getProperty(MANIFEST, BatchManifest.class);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String error = cause == null ? "unknown error" : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        int attempt = manifest.attempts() + 1;
        if (attempt < maxAttempts) {
            Duration delay = Duration.ofSeconds(Math.min(600, 15L << Math.min(attempt, 6)));
            Instant retryAt = clock.instant().plus(delay);
            LOG.error("Batch {} failed (attempt {} of {}), retrying after {}: {}", manifest.batchId(), attempt, maxAttempts,
                    retryAt, error, cause);
            BatchManifest retry = manifest.failedAttempt(error, retryAt);
            try {
                manifests.write(retry);
            } catch (RuntimeException e) {
                LOG.warn("Could not record the failed attempt of batch {} ({}); it is retried as it was", manifest.batchId(),
                        e.getMessage());
                retry = manifest;
            }
            scanner.retryLater(retry);
            return;
        }
        LOG.error("Batch {} failed {} times; marking its {} files failed and archiving them: {}", manifest.batchId(),
                attempt, manifest.sources().size(), error, cause);
        if (exchange.getMessage().getBody() instanceof BatchOutcome written) {
            // It failed while committing: its records are in the lake, and a failed file must leave none there.
            written.sources().forEach(result -> result.lakeKeys().forEach(commit::deleteFromLake));
        }
        for (BatchManifest.Source source : manifest.sources()) {
            FileKey key = FileKey.parse(source.key()).orElseThrow();
            UploadStatus status = statuses.read(key.key())
                    .orElseGet(() -> UploadStatus.of(key.key(), key.tenant(), key.stream().wireName(), null));
            status.state = UploadState.FAILED;
            status.failureReason = "could not be processed after " + attempt + " attempts: " + error;
            status.finishedAt = statuses.now();
            statuses.write(status);
            commit.archive(source.key());
        }
        manifests.delete(manifest.batchId());
        scanner.finished(manifest.batchId());
    }
}

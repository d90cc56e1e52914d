package io.inlet.limits;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.inlet.Settings;
import io.inlet.api.ApiException;
import io.inlet.storage.FileKey;
import io.inlet.storage.S3Time;
import io.inlet.tenant.ApiKeyAuth;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The processing backlog is what the inbox bucket holds (files waiting for a batch or being processed; they leave it
 * for the archive once in the lake), measured by a listing on a timer (routes/backlog-check) and never per request.
 * The one listing serves overload protection (while the backlog is over a bound and refusing is enabled,
 * {@link #admit} refuses new work of the tenants the backlog is made of with 503 and Retry-After; the next listing
 * under the bounds lets them in again), the health report and the backlog metrics. The inbox is shared by all instances, so they all see the same backlog.
 */
public final class Backlog {

    private static final Logger LOG = LoggerFactory.getLogger(Backlog.class);

    private final S3Client s3;
    private final String inboxBucket;
    private final Settings.Overload bounds;
    private final Clock clock;
    private final String retryAfter;
    private volatile Reading reading = Reading.NONE;
    /** The last listing that succeeded; a failed one keeps it, so the metrics show the last known backlog. */
    private volatile BacklogFigures lastListed;
    private volatile long lastListedNanos;
    private long nextListingNanos = System.nanoTime();
    private boolean listed;

    public Backlog(S3Client s3, String inboxBucket, Settings.Overload bounds, Clock clock) {
        this.s3 = s3;
        this.inboxBucket = inboxBucket;
        this.bounds = bounds;
        this.clock = clock;
        // The state changes only at a listing: asking again sooner than the next one cannot help.
        this.retryAfter = String.valueOf(Math.max(1, (bounds.checkInterval().toMillis() + 999) / 1000));
    }

    /**
     * The last listing's figures (empty before the first, or when the last one failed) and, while the backlog is over
     * a bound, why.
     */
    public record Reading(Optional<BacklogFigures> figures, Optional<String> excess, Optional<String> failure) {
        static final Reading NONE = new Reading(Optional.empty(), Optional.empty(), Optional.empty());
    }

    public Reading reading() {
        return reading;
    }

    /** The figures of the last listing that succeeded, however long ago; empty before the first. */
    public Optional<BacklogFigures> lastListed() {
        return Optional.ofNullable(lastListed);
    }

    /** How long ago (by this process's monotonic clock) the last listing that succeeded began. */
    public Duration sinceLastListed() {
        return Duration.ofNanos(System.nanoTime() - lastListedNanos);
    }

    /**
     * Route step of upload-json and confirm-upload: 503 with Retry-After while the backlog is over a bound and the
     * caller's tenant is what it is made of ({@link BacklogFigures#refusal}).
     */
    public void admit(Exchange exchange) {
        Reading now = reading;
        if (now.excess().isEmpty()) {
            return;
        }
        String tenant = ApiKeyAuth.tenantOf(exchange);
        Optional<String> refusal = now.figures().flatMap(figures -> figures.refusal(tenant, bounds));
        if (refusal.isPresent()) {
            throw new ApiException(503, "Inlet is overloaded: " + refusal.get() + "; nothing was accepted, retry after "
                    + retryAfter + " s", List.of(), Map.of("Retry-After", retryAfter));
        }
    }

    /** Timer step: lists the inbox, unless the last listing was so slow that this one would follow it too closely. */
    public synchronized void refresh() {
        long start = System.nanoTime();
        if (start - nextListingNanos < 0) {
            return;
        }
        Reading previous = reading;
        try {
            BacklogFigures figures = list();
            lastListedNanos = start;
            reading = new Reading(Optional.of(figures), bounds.enabled() ? figures.excess(bounds) : Optional.empty(),
                    Optional.empty());
            lastListed = figures;
        } catch (SdkException e) {
            // Refusing on figures nobody can check would make an S3 hiccup an outage of its own; the S3 health check
            // and the uploads themselves report S3 failures.
            reading = new Reading(Optional.empty(), Optional.empty(), Optional.of("the inbox could not be listed: "
                    + e.getMessage()));
            if (previous.failure().isEmpty()) {
                LOG.warn("Backlog unknown: {}; uploads are not refused for it until a listing succeeds",
                        reading.failure().get());
            }
        }
        report(previous, reading);
        // A listing of a very large inbox on a slow store takes a while: it then runs at most a tenth of the time.
        // (Not after the first, which pays for connections and class loading.)
        long took = System.nanoTime() - start;
        if (listed) {
            nextListingNanos = start + 10 * took;
        }
        listed = true;
    }

    private BacklogFigures list() {
        // ages by S3's clock, which dated the files (a skewed instance would call a fresh backlog old, and refuse
        // uploads for it): the first answer's Date
        Instant listedAt = null;
        long files = 0;
        long bytes = 0;
        Instant oldest = null;
        Map<String, BacklogFigures.Share> tenants = new HashMap<>();
        // past the bound only as far as it takes to tell whose files they are (keys sort by stream first, so a
        // listing cut at the bound would blame whoever sorts first)
        long listedBound = bounds.maxBacklogFiles() > Long.MAX_VALUE / BacklogFigures.LISTED_BOUNDS ? Long.MAX_VALUE
                : BacklogFigures.LISTED_BOUNDS * bounds.maxBacklogFiles();
        for (ListObjectsV2Response page : s3.listObjectsV2Paginator(b -> b.bucket(inboxBucket).prefix(FileKey.PREFIX))) {
            if (listedAt == null) {
                listedAt = S3Time.of(page).orElseGet(clock::instant);
            }
            for (S3Object object : page.contents()) {
                // Objects not named like a file key are never processed (the reconciliation reports them): no backlog.
                Optional<FileKey> key = FileKey.parse(object.key());
                if (key.isEmpty()) {
                    continue;
                }
                files++;
                bytes += object.size();
                if (oldest == null || object.lastModified().isBefore(oldest)) {
                    oldest = object.lastModified();
                }
                tenants.compute(key.get().tenant(), (tenant, share) -> (share == null ? BacklogFigures.NONE : share)
                        .plus(object.size(), object.lastModified()));
                if (files > listedBound) {
                    return new BacklogFigures(files, true, bytes, Optional.ofNullable(oldest), listedAt, tenants);
                }
            }
        }
        return new BacklogFigures(files, false, bytes, Optional.ofNullable(oldest),
                listedAt == null ? clock.instant() : listedAt, tenants);
    }

    private static void report(Reading previous, Reading now) {
        if (now.excess().isPresent() && previous.excess().isEmpty()) {
            LOG.warn("Overloaded: {}; upload-json and confirm-upload answer 503 to the tenants the backlog is made of until"
                    + " it is back under its bounds",
                    now.excess().get());
        } else if (now.excess().isEmpty() && previous.excess().isPresent()) {
            LOG.info("No longer overloaded: the backlog is back under its bounds ({})",
                    now.figures().map(f -> f.files() + " file(s) in the inbox").orElse("the inbox could not be listed"));
        }
    }
}

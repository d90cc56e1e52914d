package io.inlet.pipeline;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.inlet.queue.InboxFile;
import io.inlet.queue.WorkQueue;
import io.inlet.storage.FileKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The safety net under the queue: lists the inbox and announces every routable object that no batch has
 * claimed, so an object whose message was lost (a queue restarted empty, a send that failed, a crash between
 * the write and the send) or that was written by a system with no notifications is processed anyway. At
 * start every unclaimed object may be announced; later only those older than {@code reconcile-min-age}, whose
 * message had its chance. While the queue holds messages, as many unclaimed objects are taken to have theirs (a
 * backlog is not a loss): only the oldest of the rest are announced, and any object unclaimed for
 * {@code announceAfter}. Claims whose batch was never sealed (a crash between claim and manifest, a manifest
 * write that failed) are freed here once they are older than the claim grace: the batch is abandoned
 * ({@link Manifests#abandon}), and its files count as unclaimed, to be claimed again.
 */
public final class InboxReconciliation {

    private static final Logger LOG = LoggerFactory.getLogger(InboxReconciliation.class);

    private final S3Client s3;
    private final String inboxBucket;
    private final Claims claims;
    private final WorkQueue queue;
    private final Duration minAge;
    private final Duration claimGrace;
    private final Duration announceAfter;
    private final Clock clock;
    private final Set<String> reportedUnroutable = new HashSet<>();
    private boolean first = true;
    private boolean unreachable;

    /**
     * @param minAge        a later pass leaves files younger than this to their messages
     * @param claimGrace    claims of batches never sealed are freed after this
     * @param announceAfter a file unclaimed this long is announced whatever the queue holds
     */
    public InboxReconciliation(S3Client s3, String inboxBucket, Claims claims, WorkQueue queue, Duration minAge,
            Duration claimGrace, Duration announceAfter, Clock clock) {
        this.s3 = s3;
        this.inboxBucket = inboxBucket;
        this.claims = claims;
        this.queue = queue;
        this.minAge = minAge;
        this.claimGrace = claimGrace;
        this.announceAfter = announceAfter;
        this.clock = clock;
    }

    /** One pass; returns how many files it announced (0 when S3 or the queue cannot be reached: next time). */
    public synchronized int reconcile() {
        try {
            int announced = pass();
            if (unreachable) {
                LOG.info("Inbox reconciliation: S3 and the queue answer again");
                unreachable = false;
            }
            return announced;
        } catch (SdkException | IllegalStateException e) {
            if (!unreachable) {
                LOG.warn("Inbox reconciliation could not run ({}); it tries again in its next pass", e.getMessage());
                unreachable = true;
            }
            return 0;
        }
    }

    private int pass() {
        Instant now = clock.instant();
        Map<String, Instant> claimed = claims.claimed();
        Set<String> free = claims.free(claimed, now.minus(claimGrace));
        Instant bornBefore = first ? now : now.minus(minAge);
        Instant longWaiting = now.minus(announceAfter);
        long unclaimed = 0;
        List<S3Object> candidates = new ArrayList<>();
        for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(inboxBucket)).contents()) {
            String key = object.key();
            if (key.endsWith("/") || claimed.containsKey(key) && !free.contains(key)) {
                continue;
            }
            if (FileKey.parse(key).isEmpty()) {
                // Only objects untouched for a minute: S3-compatible servers may list a write in progress under a
                // temporary name, which must be neither touched nor reported.
                if (object.lastModified().isBefore(now.minusSeconds(60)) && reportedUnroutable.add(key)) {
                    LOG.warn("Inbox object '{}' is not named like {}; left in the inbox unprocessed", key, FileKey.LAYOUT_DESCRIPTION);
                }
                continue;
            }
            unclaimed++;
            if (!object.lastModified().isAfter(bornBefore)) {
                candidates.add(object);
            }
        }
        first = false;
        if (candidates.isEmpty()) {
            return 0;
        }
        // A backlog is not a lost message: as many unclaimed files as the queue holds messages are taken to have
        // theirs (announcing them again would double the backlog and the work of taking it). The rest, the oldest
        // first, are announced; and any file unclaimed for announceAfter, whatever the queue holds (duplicate
        // messages, from notifications and the service's own announcements both, would otherwise hide a loss).
        long depth = queue.depth().total();
        long missing = Math.max(0, unclaimed - depth);
        candidates.sort(Comparator.comparing(S3Object::lastModified).thenComparing(S3Object::key));
        List<InboxFile> unannounced = new ArrayList<>();
        for (S3Object object : candidates) {
            if (unannounced.size() < missing || object.lastModified().isBefore(longWaiting)) {
                unannounced.add(new InboxFile(object.key(), object.size()));
            }
        }
        if (unannounced.isEmpty()) {
            LOG.debug("Inbox reconciliation: {} unclaimed file(s), {} message(s) on the queue; none announced",
                    unclaimed, depth);
            return 0;
        }
        queue.send(unannounced);
        LOG.info("Inbox reconciliation: announced {} file(s) no message had brought ({} unclaimed, {} message(s) on the "
                + "queue)", unannounced.size(), unclaimed, depth);
        return unannounced.size();
    }
}

package io.inlet.pipeline;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
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
 *
 * <p>Bounded whatever the inbox holds: a pass keeps at most {@code mostPerPass} files to announce, not the listing, and
 * announces no more (the rest at the next passes). A file it announced lately is taken to have its message on the
 * queue: it goes after the others when the queue holds fewer messages than unclaimed files (so the next pass
 * announces others), and is not announced for waiting long until it has stayed unclaimed for {@code announceAfter}
 * more, twice as long after each announcement up to eight times, so a backlog deeper than that is not announced over
 * and over (each copy is a message to receive and a claim to try). What it remembers is forgotten when the file's
 * claim is freed (a batch took the message, then died before sealing), and a queue emptied or purged (fewer messages
 * than unclaimed files) has them announced again at once. It remembers up to twice {@code mostPerPass} files; past
 * that, one may be announced again sooner.
 */
public final class InboxReconciliation {

    private static final Logger LOG = LoggerFactory.getLogger(InboxReconciliation.class);
    /** Unroutable objects remembered as reported (each is logged once); past this, no more are logged. */
    private static final int UNROUTABLE_REPORTED = 10_000;
    /** Files not announced lately first, then the oldest first; then by key, as S3 dates objects to the second. */
    private static final Comparator<Unclaimed> FIRST_TO_ANNOUNCE = Comparator.comparing(Unclaimed::announcedLately)
            .thenComparing(Unclaimed::written).thenComparing(Unclaimed::key);
    /** Announced again after announceAfter, then twice, four and eight times as long. */
    private static final int MOST_DOUBLINGS = 3;

    private final S3Client s3;
    private final String inboxBucket;
    private final Claims claims;
    private final WorkQueue queue;
    private final Duration minAge;
    private final Duration claimGrace;
    private final Duration announceAfter;
    private final int mostPerPass;
    private final Clock clock;
    private Set<String> reportedUnroutable = new HashSet<>();
    /** Files this reconciliation announced that were unclaimed at its last pass, and until when they count as announced. */
    private Map<String, Announced> announced = new HashMap<>();
    private boolean firstPass = true;
    private boolean unreachable;

    /** An unclaimed file, as much of the listing as a pass keeps. */
    private record Unclaimed(String key, long size, Instant written, boolean announcedLately) {
    }

    /** A file announced {@code times} times; announced again only after {@code until}. */
    private record Announced(Instant until, int times) {
    }

    /**
     * @param minAge        a later pass leaves files younger than this to their messages
     * @param claimGrace    claims of batches never sealed are freed after this
     * @param announceAfter a file unclaimed this long is announced whatever the queue holds
     * @param mostPerPass   files announced in one pass at most
     */
    public InboxReconciliation(S3Client s3, String inboxBucket, Claims claims, WorkQueue queue, Duration minAge,
            Duration claimGrace, Duration announceAfter, int mostPerPass, Clock clock) {
        this.s3 = s3;
        this.inboxBucket = inboxBucket;
        this.claims = claims;
        this.queue = queue;
        this.minAge = minAge;
        this.claimGrace = claimGrace;
        this.announceAfter = announceAfter;
        this.mostPerPass = mostPerPass;
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
        Instant bornBefore = firstPass ? now : now.minus(minAge);
        Instant longWaiting = now.minus(announceAfter);
        long unclaimed = 0;
        // the first candidates to announce, the last of them out when one before it comes
        PriorityQueue<Unclaimed> first = new PriorityQueue<>(FIRST_TO_ANNOUNCE.reversed());
        Map<String, Announced> stillAnnounced = new HashMap<>();
        Set<String> unroutable = new HashSet<>();
        for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(inboxBucket)).contents()) {
            String key = object.key();
            if (key.endsWith("/") || claimed.containsKey(key) && !free.contains(key)) {
                continue;
            }
            if (FileKey.parse(key).isEmpty()) {
                // Only objects untouched for a minute: S3-compatible servers may list a write in progress under a
                // temporary name, which must be neither touched nor reported.
                if (object.lastModified().isBefore(now.minusSeconds(60)) && unroutable.size() < UNROUTABLE_REPORTED
                        && unroutable.add(key) && !reportedUnroutable.contains(key)) {
                    LOG.warn("Inbox object '{}' is not named like {}; left in the inbox unprocessed", printable(key),
                            FileKey.LAYOUT_DESCRIPTION);
                }
                continue;
            }
            unclaimed++;
            // a freed claim: a batch took the file's message (and died before sealing), whoever announced it
            Announced before = free.contains(key) ? null : announced.get(key);
            if (before != null) {
                stillAnnounced.put(key, before);
            }
            if (!object.lastModified().isAfter(bornBefore)) {
                first.add(new Unclaimed(key, object.size(), object.lastModified(),
                        before != null && now.isBefore(before.until())));
                if (first.size() > mostPerPass) {
                    first.poll();
                }
            }
        }
        firstPass = false;
        reportedUnroutable = unroutable;
        announced = stillAnnounced; // the others were claimed, or left the inbox
        if (first.isEmpty()) {
            return 0;
        }
        // A backlog is not a lost message: as many unclaimed files as the queue holds messages are taken to have
        // theirs (announcing them again would double the backlog and the work of taking it). The rest are announced,
        // those not announced lately and the oldest first; and any file unclaimed for announceAfter, whatever the
        // queue holds (duplicate messages, from notifications and the service's own announcements both, would
        // otherwise hide a loss), unless announced lately.
        long depth = queue.depth().total();
        long missing = Math.max(0, unclaimed - depth);
        List<Unclaimed> candidates = new ArrayList<>(first);
        candidates.sort(FIRST_TO_ANNOUNCE);
        List<InboxFile> unannounced = new ArrayList<>();
        for (Unclaimed file : candidates) {
            if (unannounced.size() < missing || !file.announcedLately() && file.written().isBefore(longWaiting)) {
                unannounced.add(new InboxFile(file.key(), file.size()));
            }
        }
        if (unannounced.isEmpty()) {
            LOG.debug("Inbox reconciliation: {} unclaimed file(s), {} message(s) on the queue; none announced",
                    unclaimed, depth);
            return 0;
        }
        queue.send(unannounced);
        for (InboxFile file : unannounced) {
            Announced before = announced.get(file.key());
            if (before == null && announced.size() >= 2L * mostPerPass) {
                continue; // past what it remembers: announced again at a later pass, a duplicate message
            }
            int times = before == null ? 1 : before.times() + 1;
            announced.put(file.key(), new Announced(
                    now.plus(announceAfter.multipliedBy(1L << Math.min(times - 1, MOST_DOUBLINGS))), times));
        }
        LOG.info("Inbox reconciliation: announced {} file(s) no message had brought ({} unclaimed, {} message(s) on the "
                + "queue)", unannounced.size(), unclaimed, depth);
        return unannounced.size();
    }

    /** A key as a log line can hold it: control and unassigned characters as {@code \\uXXXX}. */
    static String printable(String key) {
        StringBuilder text = new StringBuilder(key.length());
        key.codePoints().forEach(c -> {
            int type = Character.getType(c);
            if (Character.isISOControl(c) || type == Character.UNASSIGNED || type == Character.SURROGATE
                    || type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) {
                for (char unit : Character.toChars(c)) {
                    text.append(String.format("\\u%04X", (int) unit));
                }
            } else {
                text.appendCodePoint(c);
            }
        });
        return text.toString();
    }
}

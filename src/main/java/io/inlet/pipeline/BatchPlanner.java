package io.inlet.pipeline;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.inlet.Settings;
import io.inlet.queue.InboxEvents;
import io.inlet.queue.InboxFile;
import io.inlet.queue.WorkQueue;
import io.inlet.storage.BoundedS3Calls;
import io.inlet.storage.Buckets;
import io.inlet.storage.FileKey;
import io.inlet.storage.SharedInboxObject;
import io.inlet.storage.S3Objects;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * From queue messages to sealed batches. A message's files are read ({@link #announced}); the route gathers
 * small files of one tenant (a large file goes alone); then {@link #seal} claims each file for a new batch,
 * keeps those it won that are still in the inbox, writes the batch's manifest naming them and this instance
 * as owner, and only then acknowledges the messages. From the manifest on, the batch no longer depends on
 * the queue: if this instance dies, another takes the manifest over ({@link BatchSweep}).
 */
public final class BatchPlanner {

    private static final Logger LOG = LoggerFactory.getLogger(BatchPlanner.class);
    /** CopyObject, which moves a file to the archive, takes at most 5 GiB. */
    private static final long MAX_SOURCE_BYTES = 5L * 1024 * 1024 * 1024;

    private final S3Client s3;
    private final Buckets buckets;
    private final Claims claims;
    private final Manifests manifests;
    private final BatchSweep sweep;
    private final InboxEvents events;
    private final WorkQueue queue;
    private final BoundedS3Calls calls;
    private final Settings.Pipeline pipeline;
    private final CrashPoints crashPoints;
    private final Clock clock;
    private final PrefetchedSources prefetched;
    private final long prefetchBytes;

    public BatchPlanner(S3Client s3, Buckets buckets, Claims claims, Manifests manifests, BatchSweep sweep,
            InboxEvents events, WorkQueue queue, BoundedS3Calls calls, Settings.Pipeline pipeline,
            CrashPoints crashPoints, Clock clock, PrefetchedSources prefetched, long prefetchBytes) {
        this.prefetched = prefetched;
        this.prefetchBytes = prefetchBytes;
        this.s3 = s3;
        this.buckets = buckets;
        this.claims = claims;
        this.manifests = manifests;
        this.sweep = sweep;
        this.events = events;
        this.queue = queue;
        this.calls = calls;
        this.pipeline = pipeline;
        this.crashPoints = crashPoints;
        this.clock = clock;
    }

    private record Member(BatchManifest.Source source, Instant written) {
    }

    /**
     * Announcements this instance does not keep waiting (a tenant's backlog beyond what leaves room for the others):
     * their messages are no longer kept invisible, and come back to any instance after their visibility timeout.
     */
    public void release(List<Announced> announced) {
        LOG.debug("{} announced file(s) of tenant {} go back to the queue: its batches fill its share of the workers and"
                + " its waiting files all but the others' room", announced.size(),
                announced.isEmpty() ? "" : announced.get(0).tenant());
        queue.letGo(announced.stream().map(a -> a.delivery().receiptHandle()).filter(Objects::nonNull).distinct().toList());
    }

    /**
     * Not sealed: the batch is abandoned, which frees its claims for other batches to take over (they are not
     * deleted: see {@link Claims}), and its messages are no longer kept invisible, so they are planned again when they
     * return. If S3 cannot take the tombstone either, the reconciliation abandons the batch once its claims are older
     * than the claim grace.
     */
    private void giveBack(String batchId, List<Announced> gathered, String abandonBecause) {
        queue.letGo(gathered.stream().map(a -> a.delivery().receiptHandle()).filter(Objects::nonNull).distinct().toList());
        if (abandonBecause == null) {
            return;
        }
        try {
            manifests.abandon(batchId, abandonBecause);
        } catch (RuntimeException e) {
            LOG.warn("Could not abandon unsealed batch {} ({}); the reconciliation frees its claims later", batchId,
                    e.getMessage());
        }
    }

    /** The file's bytes if it is still in the inbox and small; a larger one (rewritten since) is only looked at. */
    private Optional<Member> readIfInInbox(Announced announced, Map<String, byte[]> read) {
        String key = announced.file().key();
        ResponseInputStream<GetObjectResponse> object;
        try {
            object = s3.getObject(b -> b.bucket(buckets.inbox()).key(key));
        } catch (NoSuchKeyException gone) {
            return Optional.empty();
        }
        GetObjectResponse response = object.response();
        long size = response.contentLength();
        if (size > SourcesAhead.SMALL_FILE) {
            object.abort();
            return size > MAX_SOURCE_BYTES ? lookIfInInbox(announced)
                    : Optional.of(new Member(source(announced, size, response.metadata()), response.lastModified()));
        }
        try (object) {
            byte[] bytes = object.readAllBytes();
            read.put(key, bytes);
            return Optional.of(new Member(source(announced, bytes.length, response.metadata()), response.lastModified()));
        } catch (IOException e) {
            // Read again when the batch runs.
            return Optional.of(new Member(source(announced, size, response.metadata()), response.lastModified()));
        }
    }

    private Optional<Member> lookIfInInbox(Announced announced) {
        String key = announced.file().key();
        Optional<HeadObjectResponse> head = S3Objects.head(s3, buckets.inbox(), key);
        if (head.isEmpty()) {
            return Optional.empty();
        }
        long size = head.get().contentLength();
        if (size > MAX_SOURCE_BYTES) {
            LOG.warn("Inbox object '{}' is over 5 GiB, more than one S3 copy can move to the archive; left in the "
                    + "inbox unprocessed", key);
            return Optional.empty();
        }
        return Optional.of(new Member(source(announced, size, head.get().metadata()), head.get().lastModified()));
    }

    /** The file as the manifest keeps it; an object shared by upload-json batches with its batches, as written. */
    private static BatchManifest.Source source(Announced announced, long size, Map<String, String> metadata) {
        String batches = metadata == null ? null : metadata.get(SharedInboxObject.METADATA);
        boolean shared = batches != null && !SharedInboxObject.layoutOf(FileKey.parse(announced.file().key()).orElseThrow(),
                size, batches).isEmpty();
        return new BatchManifest.Source(announced.file().key(), size, announced.file().withoutStatus() ? Boolean.TRUE : null,
                shared ? batches : null);
    }

    /** The routable inbox files of one message; a message with none (a test event, say) is acknowledged now. */
    public List<Announced> announced(String body, @Header("CamelAwsSqsReceiptHandle") String receiptHandle) {
        List<InboxFile> files = new ArrayList<>();
        List<String> tenants = new ArrayList<>();
        for (InboxFile file : events.read(body == null ? "" : body)) {
            Optional<FileKey> key = FileKey.parse(file.key());
            if (key.isPresent()) {
                files.add(file);
                tenants.add(key.get().tenant());
            } else {
                LOG.warn("Inbox object '{}' is not named like {}; left in the inbox unprocessed", file.key(),
                        FileKey.LAYOUT_DESCRIPTION);
            }
        }
        if (files.isEmpty()) {
            if (receiptHandle != null) {
                queue.acknowledge(List.of(receiptHandle));
            }
            return List.of();
        }
        Announced.Delivery delivery = new Announced.Delivery(receiptHandle, files.size());
        if (receiptHandle != null && files.stream().noneMatch(f -> pipeline.isLargeSource(f.size()))) {
            // Kept invisible while it waits for its batch: a backlog here is not delivered again meanwhile. Not a
            // large file's: those may queue here behind each other, and delivered again, another instance can
            // take one (this one then finds it claimed).
            queue.hold(receiptHandle);
        }
        List<Announced> announced = new ArrayList<>(files.size());
        for (int i = 0; i < files.size(); i++) {
            announced.add(new Announced(files.get(i), tenants.get(i), delivery));
        }
        return announced;
    }

    /** Small files of a tenant are gathered together; a large one is a batch of its own. */
    public String batchKey(Announced announced) {
        return pipeline.isLargeSource(announced.file().size())
                ? "large:" + announced.file().key()
                : "tenant:" + announced.tenant();
    }

    /** A manifest from the sweep goes to the workers of its size. */
    public boolean isLargeBatch(BatchManifest manifest) {
        return manifest.isLarge(pipeline);
    }

    /**
     * Claims the gathered files for a new batch and seals it; null when none is left to process (all claimed
     * elsewhere or already processed). A manifest handed over by the sweep passes through unchanged.
     */
    public BatchManifest seal(Exchange exchange) {
        Object body = exchange.getMessage().getBody();
        if (body instanceof BatchManifest resumed) {
            return resumed;
        }
        @SuppressWarnings("unchecked")
        List<Announced> gathered = (List<Announced>) body;
        Map<String, Announced> byKey = new LinkedHashMap<>();
        gathered.forEach(a -> byKey.putIfAbsent(a.file().key(), a));
        Instant now = clock.instant();
        String batchId = BatchManifest.newId(now);

        // Claim every file side by side; a file won is a member if it is still in the inbox (a duplicate
        // message can arrive after the file was processed and its claim released).
        // Small files are read rather than looked at (one request either way), up to the read-ahead budget.
        Map<String, byte[]> read = new ConcurrentHashMap<>();
        Set<String> toRead = new HashSet<>();
        long budget = prefetchBytes;
        for (Announced a : byKey.values()) {
            long size = a.file().size();
            if (size >= 0 && size <= SourcesAhead.SMALL_FILE && size <= budget) {
                toRead.add(a.file().key());
                budget -= size;
            }
        }
        List<Optional<Member>> outcomes;
        try {
            outcomes = calls.map(new ArrayList<>(byKey.values()), announced -> {
                String key = announced.file().key();
                if (!claims.claim(key, batchId)) {
                    return Optional.empty();
                }
                Optional<Member> member = toRead.contains(key) ? readIfInInbox(announced, read) : lookIfInInbox(announced);
                if (member.isEmpty()) {
                    claims.release(List.of(key)); // the file left the inbox: nobody can take it any more
                }
                return member;
            });
        } catch (RuntimeException e) {
            // a claim may have been made even if its answer was lost: abandoned, the batch frees whatever it holds
            giveBack(batchId, gathered, "claiming its files failed: " + e.getMessage());
            throw e;
        }
        // Oldest first (then by key): within a batch a tenant's records keep the order their files were written.
        List<BatchManifest.Source> members = outcomes.stream().flatMap(Optional::stream)
                .sorted(Comparator.comparing(Member::written, Comparator.nullsLast(Comparator.naturalOrder()))
                        .thenComparing(m -> m.source().key()))
                .map(Member::source)
                .toList();

        BatchManifest manifest = null;
        if (!members.isEmpty()) {
            manifest = BatchManifest.plan(batchId, sweep.instanceId(), members, pipeline, now);
            long writtenFrom = System.nanoTime();
            Manifests.State sealed;
            try {
                sealed = manifests.create(manifest);
            } catch (RuntimeException e) {
                // Sealed or not, nobody can tell yet: the claims stay as they are until the reconciliation settles it.
                giveBack(batchId, gathered, null);
                throw e;
            }
            if (sealed == Manifests.State.ABANDONED) {
                // its write failed and the tombstone stands, or the reconciliation gave up on it first (sealing took
                // longer than the claim grace): the files are free for the batches their messages come back to
                giveBack(batchId, gathered, null);
                throw new IllegalStateException("batch " + batchId + " was abandoned before its manifest was written; its "
                        + "files are planned again");
            }
            prefetched.put(batchId, read);
            sweep.hold(manifest, writtenFrom);
            crashPoints.reached(CrashPoints.AFTER_MANIFEST);
        }
        // Every announcement gathered (duplicates of a key too) is settled now: claimed here, claimed elsewhere,
        // or gone; a message is acknowledged when its last file is.
        List<String> settled = new ArrayList<>();
        for (Announced a : gathered) {
            if (a.delivery().settle()) {
                settled.add(a.delivery().receiptHandle());
            }
        }
        try {
            queue.acknowledge(settled);
        } catch (RuntimeException e) {
            // Sealed regardless: a message that comes back finds its file claimed and is acknowledged then.
            LOG.warn("Could not acknowledge {} message(s) ({}); they will be delivered again and skipped", settled.size(),
                    e.getMessage());
        }
        return manifest;
    }
}

package io.inlet.pipeline;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import io.inlet.storage.LakeKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The batches this instance holds, and the look for batches nobody is running. Every instance writes a
 * heartbeat ({@code _instances/{id}}) every third of the lease timeout. A sealed batch's manifest names its
 * owner; a manifest whose owner has been silent for the lease timeout (killed, cut off), or that this instance
 * owned before it restarted, is taken over: its owner is rewritten and it runs again from the manifest, which
 * writes the same part names with the same contents. The rewrite is conditional ({@code If-Match} on the version
 * read), so of several instances looking at once one takes the batch.
 *
 * <p>An owner that was only stalled and comes back must not touch what the new owner did: before each of a run's
 * writes (a part, a status written while a file is read, output withdrawn, the commit) it asks
 * {@link #confirmOwnership}. While this instance's heartbeats have gone out without a gap since it last knew it owned
 * the batch, and the last one is younger than two thirds of the lease timeout, nobody can have taken the batch over
 * and nothing is read; otherwise the manifest is read, and a batch it no longer names this instance the owner of
 * ends here ({@link BatchTakenOver}). What remains is a write already under way when the stall began: a part has
 * the same name and bytes as the new owner's (unless that owner withdrew it because a file failed).
 */
public final class BatchSweep {

    private static final Logger LOG = LoggerFactory.getLogger(BatchSweep.class);
    private static final Duration FORGET_INSTANCES_AFTER = Duration.ofDays(1);
    private static final Duration FORGET_ABANDONED_AFTER = Duration.ofDays(1);

    private final S3Client s3;
    private final String lakeBucket;
    private final Manifests manifests;
    private final Clock clock;
    private final String instanceId;
    private final Duration leaseTimeout;
    /** Whether it was said once that S3's answers give no time of their own. */
    private boolean noS3Time;
    /** Batches this instance holds (running, queued to run, or waiting to retry), by id. */
    private final Map<String, BatchManifest> held = new TreeMap<>();
    private final Set<String> running = new HashSet<>();
    /** Tombstones seen (batches abandoned before they were sealed), so that each is read once. */
    private final Set<String> abandoned = new HashSet<>();
    private boolean firstLook = true;
    private boolean unreachable;
    /** The longest a heartbeat vouches for this instance's batches: a third of the lease short of a takeover. */
    private final long vouchNanos;
    /** By batch id: when this instance last knew it owned the batch (System.nanoTime). */
    private final Map<String, Long> ownedAt = new ConcurrentHashMap<>();
    /** Guarded by {@code this.beats}: the start of the last heartbeat written, and of its unbroken run. */
    private final Object beats = new Object();
    private long lastBeat;
    private long beatingSince;
    private boolean beating;

    public BatchSweep(S3Client s3, String lakeBucket, Manifests manifests, Clock clock, String instanceId,
            Duration leaseTimeout) {
        this.s3 = s3;
        this.lakeBucket = lakeBucket;
        this.manifests = manifests;
        this.clock = clock;
        this.instanceId = instanceId;
        this.leaseTimeout = leaseTimeout;
        this.vouchNanos = leaseTimeout.toNanos() * 2 / 3;
    }

    public String instanceId() {
        return instanceId;
    }

    /** Says this instance is alive (and so still runs the batches it owns). */
    public void heartbeat() {
        try {
            putHeartbeat();
        } catch (SdkException e) {
            // The sweep reports S3 outages; a missed heartbeat only matters if it lasts the lease timeout, and
            // then another instance rightly takes the batches over.
            LOG.debug("Heartbeat not written: {}", e.getMessage());
        }
    }

    private void putHeartbeat() {
        // S3 dates the heartbeat at the earliest when the request starts, so that is what it vouches from
        long started = System.nanoTime();
        s3.putObject(b -> b.bucket(lakeBucket).key(LakeKeys.instance(instanceId)).contentType("text/plain"),
                RequestBody.fromString(clock.instant().toString(), StandardCharsets.UTF_8));
        synchronized (beats) {
            if (!beating || started - lastBeat >= vouchNanos) {
                beatingSince = started; // after a gap another instance may have taken batches over
            }
            lastBeat = started;
            beating = true;
        }
    }

    /**
     * Returns if this instance still owns the batch; throws {@link BatchTakenOver} if it does not. Reads the
     * manifest only when the heartbeats cannot vouch for it (see the class comment).
     */
    void confirmOwnership(String batchId) {
        long now = System.nanoTime();
        Long owned = ownedAt.get(batchId);
        synchronized (beats) {
            if (owned != null && beating && now - lastBeat < vouchNanos && beatingSince - owned <= 0) {
                return;
            }
        }
        String owner = manifests.read(batchId).map(BatchManifest::owner).orElse(null);
        if (!instanceId.equals(owner)) {
            throw new BatchTakenOver(batchId, owner);
        }
        ownedAt.put(batchId, now);
    }

    /**
     * A batch this instance sealed and is about to run; {@code writtenFrom} is when the write of its manifest
     * started (System.nanoTime).
     */
    synchronized void hold(BatchManifest manifest, long writtenFrom) {
        ownedAt.put(manifest.batchId(), writtenFrom);
        held.put(manifest.batchId(), manifest);
        running.add(manifest.batchId());
    }

    /**
     * The batch outgrew the small-batch workers: its manifest says so from now on (only over the version this instance
     * owns), so that a retry, a restart or an instance taking it over runs it on the large-file workers at once. If S3
     * cannot take the write, it moves in this instance's memory only (its retries here keep the mark). Throws
     * {@link BatchTakenOver} when the batch is no longer this instance's.
     */
    BatchManifest moveToLargeLane(BatchManifest manifest) {
        BatchManifest moved = manifest.onLargeLane();
        try {
            Optional<Manifests.Versioned> current = manifests.readVersioned(manifest.batchId()).filter(v -> !v.abandoned());
            String owner = current.map(v -> v.manifest().owner()).orElse(null);
            if (!instanceId.equals(owner)) {
                throw new BatchTakenOver(manifest.batchId(), owner);
            }
            moved = current.get().manifest().onLargeLane();
            if (!manifests.replace(moved, current.get().eTag())) {
                throw new BatchTakenOver(manifest.batchId(), null);
            }
        } catch (SdkException e) {
            LOG.warn("Could not record in batch {}'s manifest that it runs on the large-file workers ({}); after a restart "
                    + "or taken over by another instance it starts on the small-batch workers again", manifest.batchId(),
                    e.getMessage());
        }
        BatchManifest recorded = moved;
        synchronized (this) {
            held.computeIfPresent(manifest.batchId(), (id, was) -> recorded);
        }
        return recorded;
    }

    /** The batch is committed: its manifest is gone and its files are in the archive. */
    synchronized void finished(String batchId) {
        ownedAt.remove(batchId);
        held.remove(batchId);
        running.remove(batchId);
    }

    /**
     * The batch failed for a passing reason; its rewritten manifest says when to try again. {@code ownedFrom}: when
     * this instance last knew it owned it (System.nanoTime), or null when it could not tell.
     */
    synchronized void retryLater(BatchManifest manifest, Long ownedFrom) {
        if (ownedFrom == null) {
            ownedAt.remove(manifest.batchId());
        } else {
            ownedAt.put(manifest.batchId(), ownedFrom);
        }
        held.put(manifest.batchId(), manifest);
        running.remove(manifest.batchId());
    }

    /**
     * The batches to run now: this instance's own whose retry is due, and those taken over. Only manifests
     * untouched for the lease timeout are read (a younger one's owner is alive: it just wrote it), except at
     * the first look after start, which also finds what this instance held before it was stopped.
     */
    public synchronized List<BatchManifest> due() {
        Instant now = clock.instant();
        Map<String, Instant> listed;
        Instant s3Now;
        try {
            Manifests.Pending pending = manifests.pending();
            listed = pending.lastModified();
            s3Now = pending.s3Now() == null ? now : pending.s3Now();
            if (pending.s3Now() == null && !noS3Time) {
                noS3Time = true;
                LOG.warn("S3's answers carry no Date header (a proxy in front of it may drop it): other instances'"
                        + " silence is judged by this instance's clock, which must then be in step with theirs");
            }
        } catch (SdkException e) {
            // Nothing is taken or changed yet: say so once, and look again next time.
            if (!unreachable) {
                LOG.warn("S3 is not answering ({}); the batch sweep keeps looking", e.getMessage());
                unreachable = true;
            }
            return List.of();
        }
        if (unreachable) {
            LOG.info("S3 answers again; the batch sweep resumes");
            unreachable = false;
        }
        held.keySet().removeIf(id -> !listed.containsKey(id) && !running.contains(id));
        abandoned.retainAll(listed.keySet());
        ownedAt.keySet().removeIf(id -> !held.containsKey(id));

        List<BatchManifest> due = new ArrayList<>();
        for (BatchManifest manifest : held.values()) {
            if (!running.contains(manifest.batchId()) && manifest.isDueAt(now)) {
                due.add(manifest);
            }
        }
        Map<String, Instant> heartbeats = null;
        // Ages of manifests and heartbeats by S3's clock, as their LastModified are: not this instance's, which may
        // be ahead of the others' (it would take their live batches) or behind (it would wait too long for dead ones).
        Instant silentSince = s3Now.minus(leaseTimeout);
        for (Map.Entry<String, Instant> entry : listed.entrySet()) {
            String id = entry.getKey();
            if (abandoned.contains(id)) {
                forgetAbandoned(id, entry.getValue(), s3Now);
                continue;
            }
            if (held.containsKey(id) || !firstLook && entry.getValue().isAfter(silentSince)) {
                continue;
            }
            Manifests.Versioned read = manifests.readVersioned(id).orElse(null);
            if (read == null) {
                continue;
            }
            if (read.abandoned()) {
                abandoned.add(id);
                forgetAbandoned(id, entry.getValue(), s3Now);
                continue;
            }
            BatchManifest manifest = read.manifest();
            if (heartbeats == null) {
                heartbeats = heartbeats(s3Now);
            }
            Instant ownerSeen = manifest.owner() == null ? null : heartbeats.get(manifest.owner());
            boolean mine = instanceId.equals(manifest.owner());
            if (!mine && ownerSeen != null && ownerSeen.isAfter(silentSince)) {
                continue;
            }
            BatchManifest taken = manifest.ownedBy(instanceId);
            long takenFrom = System.nanoTime();
            if (!manifests.replace(taken, read.eTag())) {
                continue;
            }
            ownedAt.put(id, takenFrom);
            LOG.info("Taking over batch {} ({} files){}", id, manifest.sources().size(), mine
                    ? ", left unfinished when this instance stopped"
                    : " from instance " + manifest.owner() + (ownerSeen == null ? "" : ", silent since " + ownerSeen));
            held.put(id, taken);
            if (taken.isDueAt(now)) {
                due.add(taken);
            }
        }
        firstLook = false;
        due.forEach(m -> running.add(m.batchId()));
        return due;
    }

    /**
     * A tombstone is deleted a day after it was written: by then no write of the batch's manifest can still be on its
     * way (the S3 client gives up on a request within minutes), and a claim still naming the batch, if any, is only
     * abandoned again.
     */
    private void forgetAbandoned(String batchId, Instant written, Instant now) {
        if (written.isBefore(now.minus(FORGET_ABANDONED_AFTER))) {
            try {
                manifests.delete(batchId);
                abandoned.remove(batchId);
            } catch (SdkException e) {
                LOG.debug("Tombstone of batch {} not deleted: {}", batchId, e.getMessage());
            }
        }
    }

    /** When each instance last said it was alive; instances silent for a day are forgotten. */
    private Map<String, Instant> heartbeats(Instant now) {
        Map<String, Instant> seen = new HashMap<>();
        List<String> forgotten = new ArrayList<>();
        for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(lakeBucket).prefix(LakeKeys.INSTANCE_PREFIX)).contents()) {
            String id = object.key().substring(LakeKeys.INSTANCE_PREFIX.length());
            seen.put(id, object.lastModified());
            if (object.lastModified().isBefore(now.minus(FORGET_INSTANCES_AFTER))) {
                forgotten.add(object.key());
            }
        }
        io.inlet.storage.S3Objects.deleteAll(s3, lakeBucket, forgotten);
        return seen;
    }
}

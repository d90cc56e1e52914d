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
import java.util.Set;
import java.util.TreeMap;

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
 * read), so of several instances looking at once one takes the batch; and an owner that was only stalled and
 * comes back writes the same bytes to the same names as the instance that took over.
 */
public final class BatchSweep {

    private static final Logger LOG = LoggerFactory.getLogger(BatchSweep.class);
    private static final Duration FORGET_INSTANCES_AFTER = Duration.ofDays(1);

    private final S3Client s3;
    private final String lakeBucket;
    private final Manifests manifests;
    private final Clock clock;
    private final String instanceId;
    private final Duration leaseTimeout;
    /** Batches this instance holds (running, queued to run, or waiting to retry), by id. */
    private final Map<String, BatchManifest> held = new TreeMap<>();
    private final Set<String> running = new HashSet<>();
    private boolean firstLook = true;
    private boolean unreachable;

    public BatchSweep(S3Client s3, String lakeBucket, Manifests manifests, Clock clock, String instanceId,
            Duration leaseTimeout) {
        this.s3 = s3;
        this.lakeBucket = lakeBucket;
        this.manifests = manifests;
        this.clock = clock;
        this.instanceId = instanceId;
        this.leaseTimeout = leaseTimeout;
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
        s3.putObject(b -> b.bucket(lakeBucket).key(LakeKeys.instance(instanceId)).contentType("text/plain"),
                RequestBody.fromString(clock.instant().toString(), StandardCharsets.UTF_8));
    }

    /** A batch this instance sealed and is about to run. */
    synchronized void hold(BatchManifest manifest) {
        held.put(manifest.batchId(), manifest);
        running.add(manifest.batchId());
    }

    /** The batch is committed: its manifest is gone and its files are in the archive. */
    synchronized void finished(String batchId) {
        held.remove(batchId);
        running.remove(batchId);
    }

    /** The batch failed for a passing reason; its rewritten manifest says when to try again. */
    synchronized void retryLater(BatchManifest manifest) {
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
        try {
            listed = manifests.pending();
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

        List<BatchManifest> due = new ArrayList<>();
        for (BatchManifest manifest : held.values()) {
            if (!running.contains(manifest.batchId()) && manifest.isDueAt(now)) {
                due.add(manifest);
            }
        }
        Map<String, Instant> heartbeats = null;
        Instant silentSince = now.minus(leaseTimeout);
        for (Map.Entry<String, Instant> entry : listed.entrySet()) {
            String id = entry.getKey();
            if (held.containsKey(id) || !firstLook && entry.getValue().isAfter(silentSince)) {
                continue;
            }
            Manifests.Versioned read = manifests.readVersioned(id).orElse(null);
            if (read == null) {
                continue;
            }
            BatchManifest manifest = read.manifest();
            if (heartbeats == null) {
                heartbeats = heartbeats(now);
            }
            Instant ownerSeen = manifest.owner() == null ? null : heartbeats.get(manifest.owner());
            boolean mine = instanceId.equals(manifest.owner());
            if (!mine && ownerSeen != null && ownerSeen.isAfter(silentSince)) {
                continue;
            }
            BatchManifest taken = manifest.ownedBy(instanceId);
            if (!manifests.replace(taken, read.eTag())) {
                continue;
            }
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

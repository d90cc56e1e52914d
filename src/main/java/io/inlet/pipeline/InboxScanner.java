package io.inlet.pipeline;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.inlet.Settings;
import io.inlet.storage.Buckets;
import io.inlet.storage.FileKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The watch on the inbox bucket, one look per timer tick: unfinished batches first (their manifests, left by a
 * crash or by a failed attempt whose retry is due), then new files, grouped into batches for the workers that
 * are free — a large file alone, small files together so their records share part files. A batch's manifest
 * is written before it is handed out; the files it names are claimed until it is finished.
 *
 * <p>The inbox is listed with ListObjectsV2 rather than consumed with the aws2-s3 consumer, which opens
 * (GETs) every object it lists on every poll, including a 2 GB file that is already being processed.
 */
public final class InboxScanner {

    private static final Logger LOG = LoggerFactory.getLogger(InboxScanner.class);
    /** CopyObject, which moves a file to the archive, takes at most 5 GiB. */
    private static final long MAX_SOURCE_BYTES = 5L * 1024 * 1024 * 1024;
    /** How many unclaimed inbox files one look considers (the oldest of them are taken first). */
    private static final int MAX_CANDIDATES = 10_000;

    private final S3Client s3;
    private final Buckets buckets;
    private final Manifests manifests;
    private final Settings.Pipeline pipeline;
    private final CrashPoints crashPoints;
    private final Clock clock;
    /** Manifests in the lake, by batch id: every file they name is claimed. */
    private final Map<String, BatchManifest> pending = new TreeMap<>();
    private final Set<String> inFlight = new HashSet<>();
    private boolean unreachable;
    private final Set<String> reportedUnroutable = new HashSet<>();

    public InboxScanner(S3Client s3, Buckets buckets, Manifests manifests, Settings.Pipeline pipeline, CrashPoints crashPoints,
            Clock clock) {
        this.s3 = s3;
        this.buckets = buckets;
        this.manifests = manifests;
        this.pipeline = pipeline;
        this.crashPoints = crashPoints;
        this.clock = clock;
    }

    /** The batches to start now; each comes back through {@link #finished} or {@link #retryLater}. */
    public synchronized List<BatchManifest> nextBatches() {
        Instant now = clock.instant();
        try {
            refreshPending();
        } catch (SdkException e) {
            // Nothing has been taken yet, so nothing is at risk: say so once, and look again next tick.
            if (!unreachable) {
                LOG.warn("S3 is not answering ({}); the inbox watch keeps looking", e.getMessage());
                unreachable = true;
            }
            return List.of();
        }
        if (unreachable) {
            LOG.info("S3 answers again; the inbox watch resumes");
            unreachable = false;
        }
        List<BatchManifest> due = new ArrayList<>();
        int free = pipeline.workers() - inFlight.size();
        int largeFree = largeBatchWorkers() - (int) inFlight.stream().map(pending::get)
                .filter(m -> m != null && isLarge(m)).count();
        for (BatchManifest manifest : pending.values()) {
            if (free == 0) {
                break;
            }
            if (!inFlight.contains(manifest.batchId()) && manifest.isDueAt(now) && (!isLarge(manifest) || largeFree > 0)) {
                if (manifest.attempts() == 0) {
                    LOG.info("Resuming batch {} ({} files) left unfinished", manifest.batchId(), manifest.sources().size());
                }
                due.add(manifest);
                free--;
                largeFree -= isLarge(manifest) ? 1 : 0;
            }
        }
        if (free > 0) {
            for (BatchManifest manifest : planNew(free, largeFree, now)) {
                manifests.write(manifest);
                pending.put(manifest.batchId(), manifest);
                crashPoints.reached(CrashPoints.AFTER_MANIFEST);
                due.add(manifest);
            }
        }
        due.forEach(m -> inFlight.add(m.batchId()));
        return due;
    }

    /**
     * Large files may keep all workers but one busy: one batch of a large file already uses every check thread,
     * and the worker left over takes small files, so one tenant's 2 GB upload never holds back another tenant's
     * upload-json traffic for the minutes it takes. (With a single worker, large and small files take turns.)
     */
    private int largeBatchWorkers() {
        return Math.max(1, pipeline.workers() - 1);
    }

    private boolean isLarge(BatchManifest manifest) {
        return manifest.sources().size() == 1 && manifest.sources().get(0).size() > pipeline.smallSourceBytes();
    }

    /** The batch is committed: its manifest is gone and its files are in the archive. */
    synchronized void finished(String batchId) {
        inFlight.remove(batchId);
        pending.remove(batchId);
    }

    /** The batch failed for a passing reason; its rewritten manifest says when to try again. */
    synchronized void retryLater(BatchManifest manifest) {
        inFlight.remove(manifest.batchId());
        pending.put(manifest.batchId(), manifest);
    }

    private void refreshPending() {
        List<String> ids = manifests.pendingIds();
        pending.keySet().retainAll(new HashSet<>(ids));
        for (String id : ids) {
            if (!pending.containsKey(id)) {
                manifests.read(id).ifPresent(m -> pending.put(id, m));
            }
        }
    }

    /**
     * New batches for the free workers, oldest files first, each batch of one tenant (so a tenant's broken or
     * slow files never hold back or fail another tenant's): a large file alone, small ones together.
     */
    private List<BatchManifest> planNew(int free, int largeFree, Instant now) {
        Set<String> claimed = new HashSet<>();
        pending.values().forEach(m -> m.sources().forEach(s -> claimed.add(s.key())));

        List<S3Object> candidates = new ArrayList<>();
        for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(buckets.inbox())).contents()) {
            String key = object.key();
            if (claimed.contains(key) || key.endsWith("/")) {
                continue;
            }
            if (FileKey.parse(key).isEmpty()) {
                reportUnroutable(object, now, "is not named like data/tenants/objects/{stream}/source_system=…/tenant=…/dt=…/….jsonl[.gz]");
            } else if (object.size() > MAX_SOURCE_BYTES) {
                reportUnroutable(object, now, "is over 5 GiB, more than one S3 copy can move to the archive");
            } else {
                candidates.add(object);
                if (candidates.size() >= MAX_CANDIDATES) {
                    break;
                }
            }
        }
        candidates.sort(Comparator.comparing(S3Object::lastModified, Comparator.nullsLast(Comparator.naturalOrder()))
                .thenComparing(S3Object::key));

        List<BatchManifest> batches = new ArrayList<>();
        Map<String, List<BatchManifest.Source>> smallByTenant = new LinkedHashMap<>();
        Map<String, Long> bytesByTenant = new HashMap<>();
        for (S3Object object : candidates) {
            if (batches.size() >= free) {
                break;
            }
            String tenant = FileKey.parse(object.key()).orElseThrow().tenant();
            BatchManifest.Source source = new BatchManifest.Source(object.key(), object.size());
            if (object.size() > pipeline.smallSourceBytes()) {
                if (largeFree > 0) {
                    batches.add(BatchManifest.plan(List.of(source), pipeline, now));
                    largeFree--;
                }
                continue;
            }
            List<BatchManifest.Source> small = smallByTenant.computeIfAbsent(tenant, t -> new ArrayList<>());
            small.add(source);
            long bytes = bytesByTenant.merge(tenant, object.size(), Long::sum);
            if (small.size() >= pipeline.maxSourcesPerBatch() || bytes >= pipeline.maxBatchBytes()) {
                batches.add(BatchManifest.plan(small, pipeline, now));
                smallByTenant.remove(tenant);
                bytesByTenant.remove(tenant);
            }
        }
        for (List<BatchManifest.Source> small : smallByTenant.values()) {
            if (batches.size() >= free) {
                break;
            }
            batches.add(BatchManifest.plan(small, pipeline, now));
        }
        return batches;
    }

    /**
     * Not a file key of the reference layout (no tenant or stream to route by), or too large to archive: left
     * where it is and reported once. Only objects untouched for a minute are reported: S3-compatible servers can list a write
     * in progress under a temporary name (the embedded S3 does), which must be neither touched nor reported.
     */
    private void reportUnroutable(S3Object object, Instant now, String why) {
        if (object.lastModified() != null && object.lastModified().isAfter(now.minusSeconds(60))) {
            return;
        }
        if (reportedUnroutable.add(object.key())) {
            LOG.warn("Inbox object '{}' {}; left in the inbox unprocessed", object.key(), why);
        }
    }
}

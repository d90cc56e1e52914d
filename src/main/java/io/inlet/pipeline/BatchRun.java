package io.inlet.pipeline;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;

import io.inlet.status.UploadState;
import io.inlet.status.UploadStatus;

/**
 * One batch while the routes run it: its manifest, the status documents of its files, and the attempts. A file
 * that cannot be read at all fails alone: the attempt's output is withdrawn and the batch runs again without
 * that file, so a failed file leaves nothing in the lake. The state lives in an exchange property.
 */
final class BatchRun {

    static final String PROPERTY = "inletBatchRun";
    /** Set by each lane's route, true on the small-batch workers: each file of the batch reads at most a small file's JSONL. */
    static final String SMALL_LANE = "inletSmallLane";

    final BatchManifest manifest;
    final List<UploadStatus> known;
    /** Small files already read (by the planner), by key; taken by the first attempt. */
    final Map<String, byte[]> read;
    /** Files that failed as a whole, by index in the manifest: left out of the next attempts. */
    final TreeMap<Integer, SourceResult> failed = new TreeMap<>();
    /** JSONL each of its files may read (Long.MAX_VALUE on the large-file workers). */
    final long maxJsonlBytes;

    // The attempt under way:
    LakeWriter lake;
    SourcesAhead files;
    /** By index in the manifest; files that failed in an earlier attempt are in {@link #failed} instead. */
    SourceResult[] results;
    SourceResult failure;
    int failedIndex = -1;
    /** Set when a file read more JSONL than {@link #maxJsonlBytes}: the batch goes to the large-file workers. */
    boolean outgrewLane;

    /** Set once an attempt got through every file it had to read. */
    BatchOutcome outcome;

    /**
     * By index in the manifest: the file's status was already final for this batch when the run started (a run of
     * it committed, then stalled or died before its manifest went). No "processing" goes over such a status: the
     * run's own final status will; a progress write could outlive the run (the stalled owner deletes the manifest
     * late, the run stops as "finished by another"), and the file would show processing for ever.
     */
    final boolean[] settled;

    BatchRun(BatchManifest manifest, List<UploadStatus> known, Map<String, byte[]> read, long maxJsonlBytes) {
        this.manifest = manifest;
        this.known = known;
        this.read = read;
        this.maxJsonlBytes = maxJsonlBytes;
        this.settled = new boolean[known.size()];
        for (int i = 0; i < known.size(); i++) {
            settled[i] = settledBy(known.get(i), manifest);
        }
    }

    /**
     * A final status written by a run of this batch: its parts are the batch's, or (no parts: nothing accepted, or the
     * file failed) it was finished after the batch was planned. A final status from before (a file copied back into
     * the inbox to be processed again) is not.
     */
    static boolean settledBy(UploadStatus status, BatchManifest manifest) {
        if (status.state != UploadState.COMPLETED && status.state != UploadState.COMPLETED_WITH_ERRORS
                && status.state != UploadState.FAILED) {
            return false;
        }
        if (status.lakeKeys != null && !status.lakeKeys.isEmpty()) {
            return status.lakeKeys.stream().anyMatch(key -> key.contains("/part-" + manifest.batchId() + "-"));
        }
        try {
            return status.finishedAt != null && manifest.createdAt() != null
                    && !Instant.parse(status.finishedAt).isBefore(Instant.parse(manifest.createdAt()));
        } catch (DateTimeParseException unreadable) {
            return false;
        }
    }

    void begin(LakeWriter lake, SourcesAhead files) {
        this.lake = lake;
        this.files = files;
        results = new SourceResult[manifest.sources().size()];
        failure = null;
        failedIndex = -1;
    }

    /**
     * The indexes of the files this attempt reads, in manifest order, without those that failed before; it ends
     * after a failure. No side effects: Camel asks {@code hasNext} ahead of time.
     */
    Iterator<Integer> toRead() {
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                while (next < manifest.sources().size() && failed.containsKey(next)) {
                    next++;
                }
                return failure == null && next < manifest.sources().size();
            }

            @Override
            public Integer next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return next++;
            }
        };
    }

    /**
     * The name the batch's parts carry. A run without some of its files (they failed) gets its own name, so a
     * part name never comes back with other contents after it was withdrawn. Still deterministic: the same
     * files fail again in a rerun.
     */
    String outputName() {
        if (failed.isEmpty()) {
            return manifest.batchId();
        }
        StringBuilder name = new StringBuilder(manifest.batchId()).append("-w");
        failed.keySet().forEach(i -> name.append(i).append('.'));
        return name.substring(0, name.length() - 1);
    }
}

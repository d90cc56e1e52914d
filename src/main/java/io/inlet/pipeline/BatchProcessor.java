package io.inlet.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.api.ApiError;
import io.inlet.schema.FieldError;
import io.inlet.schema.RecordValidator;
import io.inlet.status.StatusStore;
import io.inlet.status.UploadStatus;
import io.inlet.storage.BoundedS3Calls;
import io.inlet.storage.Buckets;
import io.inlet.storage.FileKey;
import io.inlet.storage.LakeKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Runs one batch: each file in manifest order is streamed from S3, gunzipped, split into lines, parsed and
 * validated; valid records go to the lake's part files, invalid lines to the file's rejected-records file.
 * A file that cannot be read at all (not gzip nor text, truncated, a bomb) fails alone: the batch's output
 * so far is withdrawn and the batch runs again without it, so a failed file leaves nothing in the lake.
 */
public final class BatchProcessor {

    private static final Logger LOG = LoggerFactory.getLogger(BatchProcessor.class);
    /** Files from this size on get a "processing" status document (with progress) while they are read. */
    private static final long PROGRESS_FROM_BYTES = 1 << 20;

    private final S3Client s3;
    private final Buckets buckets;
    private final ObjectMapper json;
    private final RecordValidator validator;
    private final StatusStore statuses;
    private final ChunkPipeline chunks;
    private final long lakeBufferBytes;
    private final Path scratch;
    private final long statusIntervalNanos;
    private final CrashPoints crashPoints;
    private final Clock clock;
    private final BoundedS3Calls calls;
    private final long prefetchBytes;
    private final PrefetchedSources prefetched;

    public BatchProcessor(S3Client s3, Buckets buckets, ObjectMapper json, RecordValidator validator, StatusStore statuses,
            ExecutorService readers, ExecutorService checkers, int checkThreads, long lakeBufferBytes, Path scratch,
            java.time.Duration statusInterval, CrashPoints crashPoints, Clock clock, BoundedS3Calls calls,
            long prefetchBytes, PrefetchedSources prefetched) {
        this.prefetched = prefetched;
        this.calls = calls;
        this.prefetchBytes = prefetchBytes;
        this.s3 = s3;
        this.buckets = buckets;
        this.json = json;
        this.validator = validator;
        this.statuses = statuses;
        this.chunks = new ChunkPipeline(readers, checkers, checkThreads);
        this.lakeBufferBytes = lakeBufferBytes;
        this.scratch = scratch;
        this.statusIntervalNanos = statusInterval.toNanos();
        this.crashPoints = crashPoints;
        this.clock = clock;
    }

    public BatchOutcome process(BatchManifest manifest) throws IOException {
        // Small files the planner already read while checking they were still in the inbox.
        Map<String, byte[]> read = prefetched.take(manifest.batchId());
        Files.createDirectories(scratch);
        Map<Integer, SourceResult> failed = new TreeMap<>();
        // Read once per batch, side by side: a rerun without a failed file must not fetch them all again.
        List<UploadStatus> known = calls.map(manifest.sources(), source -> {
            FileKey key = FileKey.parse(source.key()).orElseThrow();
            return (Boolean.TRUE.equals(source.withoutStatus()) ? Optional.<UploadStatus>empty() : statuses.read(key.key()))
                    .orElseGet(() -> UploadStatus.of(key.key(), key.tenant(), key.stream().wireName(), null));
        });
        while (true) {
            try (LakeWriter lake = new LakeWriter(s3, buckets.lake(), outputName(manifest, failed.keySet()), manifest.cut(),
                    lakeBufferBytes, scratch, crashPoints);
                    SourcesAhead files = new SourcesAhead(s3, buckets, calls, manifest.sources(), failed.keySet(),
                            prefetchBytes, read)) {
                List<SourceResult> results = new ArrayList<>();
                SourceResult failure = null;
                int failedIndex = -1;
                for (int i = 0; i < manifest.sources().size(); i++) {
                    if (failed.containsKey(i)) {
                        results.add(failed.get(i));
                        continue;
                    }
                    BatchManifest.Source source = manifest.sources().get(i);
                    FileKey key = FileKey.parse(source.key()).orElseThrow();
                    UploadStatus status = known.get(i);
                    try {
                        results.add(processSource(i, key, status, manifest.cut(), lake, files));
                    } catch (SourceFailure e) {
                        failure = SourceResult.failed(key, source.size(), e.getMessage(), status);
                        failedIndex = i;
                        break;
                    } catch (IOException | RuntimeException e) {
                        // S3 or the disk let us down, not the file: take back what this run wrote, then let the
                        // route retry the batch (it writes the same names again).
                        withdraw(lake, manifest);
                        throw e;
                    }
                }
                if (failure != null) {
                    LOG.warn("Batch {}: {} failed ({}); withdrawing the batch's output and running it again without that file",
                            manifest.batchId(), failure.key(), failure.failureReason());
                    lake.abort();
                    failed.put(failedIndex, failure);
                    continue;
                }
                try {
                    lake.finish();
                } catch (IOException | RuntimeException e) {
                    withdraw(lake, manifest);
                    throw e;
                }
                List<SourceResult> complete = new ArrayList<>(results.size());
                for (int i = 0; i < results.size(); i++) {
                    SourceResult result = results.get(i);
                    complete.add(result.failureReason() == null ? result.withLakeKeys(lake.keysOf(i)) : result);
                }
                return new BatchOutcome(manifest, complete);
            }
        }
    }

    /**
     * The name the batch's parts carry. A run without some of its files (they failed) gets its own name, so a
     * part name never comes back with other contents after it was withdrawn. Still deterministic: the same
     * files fail again in a rerun.
     */
    static String outputName(BatchManifest manifest, java.util.Set<Integer> withdrawn) {
        if (withdrawn.isEmpty()) {
            return manifest.batchId();
        }
        StringBuilder name = new StringBuilder(manifest.batchId()).append("-w");
        withdrawn.stream().sorted().forEach(i -> name.append(i).append('.'));
        return name.substring(0, name.length() - 1);
    }

    private void withdraw(LakeWriter lake, BatchManifest manifest) {
        try {
            lake.abort();
        } catch (RuntimeException e) {
            LOG.warn("Batch {}: could not withdraw its partial output ({}); a retry overwrites it", manifest.batchId(),
                    e.getMessage());
        }
    }

    private SourceResult processSource(int index, FileKey key, UploadStatus status, BatchManifest.Cut cut, LakeWriter lake,
            SourcesAhead files) throws IOException {
        try (SourceStream source = files.open(index, cut.maxExpansionRatio());
                RejectedFile rejected = new RejectedFile(scratch, json, cut.rejectedRawBytes())) {
            status.startProcessing(source.size(), statuses.now());
            boolean reportProgress = source.size() >= PROGRESS_FROM_BYTES;
            if (reportProgress) {
                statuses.write(status);
            }
            RecordCheck check = new RecordCheck(json, validator, key.stream(), key.receivedDate(), cut.maxLineBytes());
            LineReader lines = new LineReader(source.content(), cut.maxLineBytes(), cut.rejectedRawBytes());
            Counts counts = new Counts();
            long[] lastReport = {System.nanoTime()};
            chunks.run(lines, check, chunk -> {
                apply(chunk, index, key, lake, rejected, counts);
                if (reportProgress && System.nanoTime() - lastReport[0] > statusIntervalNanos) {
                    status.bytesRead = source.bytesRead();
                    status.recordsAccepted = counts.accepted;
                    status.recordsRejected = counts.rejected;
                    statuses.write(status);
                    lastReport[0] = System.nanoTime();
                }
            });
            String rejectedKey = LakeKeys.rejected(key.key());
            boolean anyRejected = rejected.upload(s3, buckets.lake(), rejectedKey);
            return new SourceResult(key, source.size(), counts.accepted, counts.rejected, List.copyOf(counts.first),
                    anyRejected ? rejectedKey : null, List.of(), null, status);
        }
    }

    private void apply(Chunk chunk, int index, FileKey key, LakeWriter lake, RejectedFile rejected, Counts counts)
            throws IOException {
        LakeWriter.Partition partition = null;
        for (int i = 0; i < chunk.count; i++) {
            switch (chunk.verdict[i]) {
                case Chunk.VALID -> {
                    if (partition == null || partition.epochDay() != chunk.epochDay[i]) {
                        partition = new LakeWriter.Partition(key.stream(), key.tenant(), chunk.epochDay[i]);
                    }
                    lake.append(partition, chunk.data, chunk.start[i], chunk.length[i], index);
                    counts.accepted++;
                }
                case Chunk.REJECTED -> {
                    List<FieldError> errors = chunk.errors[i];
                    rejected.add(chunk.line[i], errors, chunk.data, chunk.start[i], chunk.length[i],
                            chunk.oversizedLength[i] > 0);
                    counts.rejected++;
                    for (FieldError error : errors) {
                        if (counts.first.size() < UploadStatus.MAX_LISTED_REJECTIONS) {
                            counts.first.add(ApiError.atLine(chunk.line[i], error.pointer(), error.message()));
                        }
                    }
                }
                default -> {
                    // blank line: skipped
                }
            }
        }
    }

    private static final class Counts {
        long accepted;
        long rejected;
        final List<ApiError> first = new ArrayList<>();
    }
}

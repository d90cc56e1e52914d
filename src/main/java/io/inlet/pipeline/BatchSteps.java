package io.inlet.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.ops.LogContext;
import io.inlet.schema.RecordValidator;
import io.inlet.status.StatusStore;
import io.inlet.status.UploadStatus;
import io.inlet.storage.BoundedS3Calls;
import io.inlet.storage.Buckets;
import io.inlet.storage.FileKey;
import io.inlet.storage.LakeKeys;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.component.aws2.s3.AWS2S3Constants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * The steps of the {@code run-batch} and {@code read-source} routes that need Java: opening and closing a
 * batch's attempts, starting and finishing each file, checking a chunk of lines. The byte-level work (line
 * reader, record check, part builder) lives in the classes these call.
 */
public final class BatchSteps {

    private static final Logger LOG = LoggerFactory.getLogger(BatchSteps.class);
    /** Files from this size on get a "processing" status document (with progress) while they are read. */
    private static final long PROGRESS_FROM_BYTES = 1 << 20;

    private final S3Client s3;
    private final Buckets buckets;
    private final ObjectMapper json;
    private final RecordValidator validator;
    private final StatusStore statuses;
    private final long lakeBufferBytes;
    private final Path scratch;
    private final long statusIntervalNanos;
    private final CrashPoints crashPoints;
    private final BoundedS3Calls calls;
    private final long prefetchBytes;
    private final PrefetchedSources prefetched;
    private final int chunksOut;
    private final long smallSourceJsonlBytes;
    private final BatchSweep ownership;
    private final BatchParts parts;

    public BatchSteps(S3Client s3, Buckets buckets, ObjectMapper json, RecordValidator validator, StatusStore statuses,
            long lakeBufferBytes, Path scratch, Duration statusInterval, CrashPoints crashPoints, BoundedS3Calls calls,
            long prefetchBytes, PrefetchedSources prefetched, int checkThreads, long smallSourceJsonlBytes,
            BatchSweep ownership) {
        this.smallSourceJsonlBytes = smallSourceJsonlBytes;
        this.ownership = ownership;
        this.parts = new BatchParts(s3, buckets.lake());
        // enough chunks out to keep every check thread busy while the reader reads and writes
        this.chunksOut = Math.max(2, 2 * checkThreads);
        this.s3 = s3;
        this.buckets = buckets;
        this.json = json;
        this.validator = validator;
        this.statuses = statuses;
        this.lakeBufferBytes = lakeBufferBytes;
        this.scratch = scratch;
        this.statusIntervalNanos = statusInterval.toNanos();
        this.crashPoints = crashPoints;
        this.calls = calls;
        this.prefetchBytes = prefetchBytes;
        this.prefetched = prefetched;
    }

    /**
     * A sealed batch about to run: the status documents of its files, read once and side by side. A file without
     * one (upload-json's, other systems') gets one dated by the manifest, the same in every run of the batch.
     */
    public BatchRun start(@Body BatchManifest manifest, @ExchangeProperty(BatchRun.SMALL_LANE) Boolean smallLane) {
        List<UploadStatus> known = calls.map(manifest.sources(), source -> {
            FileKey key = FileKey.ofManifest(source.key()).orElseThrow();
            UploadStatus status = (Boolean.TRUE.equals(source.withoutStatus()) ? Optional.<UploadStatus>empty()
                    : statuses.read(key.key())).orElseGet(() -> BatchManifest.firstStatus(manifest, key));
            // the manifest's layout, as planned; a status of the object keeps its own when the manifest has none
            // (the object copied back without its metadata, say), so its batches' keys keep answering
            List<UploadStatus.SharedBatch> batches = source.sharedBatches();
            if (batches != null) {
                status.batches = batches;
            }
            return status;
        });
        return new BatchRun(manifest, known, prefetched.take(manifest.batchId()),
                Boolean.TRUE.equals(smallLane) ? smallSourceJsonlBytes : Long.MAX_VALUE);
    }

    /** Another attempt needed: none ran yet, or the last one stopped at a file that failed. */
    public boolean needsAttempt(@ExchangeProperty(BatchRun.PROPERTY) BatchRun run) {
        return run.outcome == null && !run.outgrewLane;
    }

    /** Opens an attempt: a lake writer under the attempt's part name, and the small files read ahead. */
    public void open(@ExchangeProperty(BatchRun.PROPERTY) BatchRun run, Exchange exchange) throws IOException {
        // a retry after a stall may find the batch taken over
        ownership.confirmOwnership(run.manifest.batchId());
        Files.createDirectories(scratch);
        BatchManifest manifest = run.manifest;
        String batchId = manifest.batchId();
        run.begin(new LakeWriter(s3, buckets.lake(), run.outputName(), manifest.cut(), lakeBufferBytes, scratch, crashPoints,
                        () -> ownership.confirmOwnership(batchId)),
                new SourcesAhead(s3, buckets, calls, manifest.sources(), run.failed.keySet(), prefetchBytes, run.read));
        exchange.setProperty(JsonlContent.CUT, manifest.cut());
    }

    public Iterator<Integer> sources(@ExchangeProperty(BatchRun.PROPERTY) BatchRun run) {
        return run.toRead();
    }

    /**
     * Starts file {@code index}: its key for the S3 read, its check and rejected-records file. The body becomes
     * the file's bytes when they were read ahead, else null (the route then streams it from S3).
     */
    public byte[] beginSource(@Body Integer index, @ExchangeProperty(BatchRun.PROPERTY) BatchRun run, Exchange exchange)
            throws IOException {
        BatchManifest.Source source = run.manifest.sources().get(index);
        FileKey key = FileKey.ofManifest(source.key()).orElseThrow();
        BatchManifest.Cut cut = run.manifest.cut();
        RecordCheck check = new RecordCheck(json, validator, key.stream(), key.receivedDate(), cut.maxLineBytes());
        long[] lastReport = {System.nanoTime()};
        // upload-json's batches were held to the allowance, on their own, when they arrived (UploadJson)
        PartsAllowance parts = key.isUploadJson() ? null : cut.partsAllowance();
        SourceRun file = new SourceRun(index, key, source.size(), run.known.get(index), check,
                new RejectedFile(scratch, json, cut.rejectedRawBytes(), cut.rejectedMaxBytes()), run.lake, parts, (written, chunks) -> {
                    if (chunks.size() >= PROGRESS_FROM_BYTES && System.nanoTime() - lastReport[0] > statusIntervalNanos) {
                        reportProgress(run, written, chunks);
                        lastReport[0] = System.nanoTime();
                    }
                }, chunksOut);
        exchange.setProperty(SourceRun.PROPERTY, file);
        LogContext.file(exchange, key);
        exchange.getMessage().setHeader(AWS2S3Constants.KEY, source.key());
        return run.files.readAhead(index);
    }

    /** The stored object as it arrives, going on where it stopped if its transfer breaks off ({@link ResumingObject}). */
    public ResumingObject resumable(ResponseInputStream<GetObjectResponse> object, String bucket, String key) {
        return new ResumingObject(s3, bucket, key, object);
    }

    /** The file is open: its status says so (with its size), and a large file's status is written at once. */
    public void startReading(@ExchangeProperty(SourceRun.PROPERTY) SourceRun file,
            @ExchangeProperty(JsonlContent.CHUNKS) LineChunks chunks, @ExchangeProperty(BatchRun.PROPERTY) BatchRun run) {
        file.reading(chunks);
        // each file on its own: a batch of many ordinary gzip files reads a lot, but no file of it much
        chunks.bound(run.maxJsonlBytes);
        file.status.startProcessing(chunks.size(), statuses.now());
        if (chunks.size() >= PROGRESS_FROM_BYTES) {
            writeProgress(run, file);
        }
    }

    public void check(@Body Chunk chunk, @ExchangeProperty(SourceRun.PROPERTY) SourceRun file) {
        try {
            file.check.check(chunk);
        } catch (Throwable e) {
            // whatever it is, the reader must not wait for this chunk
            file.stopReading();
            throw e instanceof RuntimeException runtime ? runtime : new IllegalStateException("checking a chunk failed", e);
        }
    }

    /** Every line of the file was written: its rejected-records file goes to the lake, its result is kept. */
    public void endSource(@ExchangeProperty(SourceRun.PROPERTY) SourceRun file,
            @ExchangeProperty(JsonlContent.CHUNKS) LineChunks chunks,
            @ExchangeProperty(BatchRun.PROPERTY) BatchRun run) throws IOException {
        if (!chunks.exhausted()) {
            throw new IllegalStateException("file " + file.key.key() + ": the split ended before the file did");
        }
        file.writeRest(chunks.read());
        String rejectedKey = LakeKeys.rejected(file.key.key());
        boolean anyRejected = file.rejected.upload(s3, buckets.lake(), rejectedKey);
        run.results[file.index] = new SourceResult(file.key, chunks.size(), file.accepted, file.rejectedCount,
                List.copyOf(file.firstRejections), anyRejected ? rejectedKey : null, file.rejected.notKept(), List.of(),
                null, file.status, chunks.archiveEntries(), file.batchesRejected());
    }

    /** The file itself cannot be read as JSONL: it fails alone, and this attempt stops here. */
    public void sourceFailed(@ExchangeProperty(SourceRun.PROPERTY) SourceRun file,
            @ExchangeProperty(BatchRun.PROPERTY) BatchRun run,
            @ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Exception caught) {
        run.failure = SourceResult.failed(file.key, file.declaredSize, reason(caught), file.status);
        run.failedIndex = file.index;
    }

    public void closeSource(Exchange exchange) {
        SourceRun file = exchange.getProperty(SourceRun.PROPERTY, SourceRun.class);
        if (file != null) {
            // first: a write still under way on the reading thread finishes, and none follows
            file.close();
        }
        LineChunks chunks = exchange.getProperty(JsonlContent.CHUNKS, LineChunks.class);
        if (chunks != null) {
            chunks.close();
            exchange.removeProperty(JsonlContent.CHUNKS);
        }
        if (file != null) {
            try {
                file.rejected.close();
            } catch (IOException e) {
                LOG.debug("Could not remove the scratch copy of {}'s rejected lines: {}", file.key.key(), e.getMessage());
            }
            exchange.removeProperty(SourceRun.PROPERTY);
        }
    }

    /**
     * The attempt went through: either all of its output is made durable (the batch's outcome), or a file
     * failed and the output is withdrawn, for another attempt without that file.
     */
    public void complete(@ExchangeProperty(BatchRun.PROPERTY) BatchRun run) throws IOException {
        if (run.failure != null) {
            try (LogContext.Scope about = LogContext.about(run.failure.key())) {
                LOG.warn("Batch {}: {} failed ({}); withdrawing the batch's output and running it again without that file",
                        run.manifest.batchId(), run.failure.key(), run.failure.failureReason());
            }
            run.lake.close();
            ownership.confirmOwnership(run.manifest.batchId());
            // every part under this attempt's name, also those an earlier run of it left (crashed, stalled, retried)
            parts.withdrawNamed(run.manifest, run.outputName());
            run.failed.put(run.failedIndex, run.failure);
            return;
        }
        List<SourceResult> complete = new java.util.ArrayList<>(run.results.length);
        for (int i = 0; i < run.results.length; i++) {
            SourceResult result = run.failed.containsKey(i) ? run.failed.get(i) : run.results[i];
            if (result == null) {
                throw new IllegalStateException("batch " + run.manifest.batchId() + ": file " + i + " has no result");
            }
            complete.add(result);
        }
        run.lake.finish();
        for (int i = 0; i < complete.size(); i++) {
            if (complete.get(i).failureReason() == null) {
                complete.set(i, complete.get(i).withLakeKeys(run.lake.keysOf(i)));
            }
        }
        run.outcome = new BatchOutcome(run.manifest, complete);
    }

    /**
     * Ends an attempt, whatever happened: its scratch files go. An attempt that did not finish (S3 or the disk let us
     * down, not a file) leaves the parts it uploaded: the retry writes the same names with the same bytes, a batch
     * given up has every part deleted, and deleting them here could delete the parts of an instance that took the
     * batch over while this one stalled.
     */
    public void closeAttempt(@ExchangeProperty(BatchRun.PROPERTY) BatchRun run) {
        if (run.files != null) {
            run.files.close();
        }
        if (run.lake != null) {
            run.lake.close();
        }
    }

    /**
     * Fails the attempt with what went wrong, for process-batch's error handling (redeliveries, then the attempt
     * recorded). A failure inside a split reaches this route marked "exhausted" (the split's own error handling
     * has run), and process-batch's handler would let such an exchange pass unhandled, so the batch would never
     * be retried. Caught here and thrown again, it is this step's own failure, not exhausted.
     */
    public void failAttempt(Exchange exchange, @ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Exception caught)
            throws Exception {
        exchange.getExchangeExtension().setRedeliveryExhausted(false);
        Throwable cause = caught;
        // the split's wrapper ("Multicast processing failed for number 0") says less than what it wraps
        while (cause instanceof org.apache.camel.CamelExchangeException && cause.getCause() instanceof Exception inner) {
            cause = inner;
        }
        throw (Exception) cause;
    }

    /**
     * A file of the attempt read more JSONL than a small file may: it stops here, leaving what it uploaded (the run on the
     * large-file workers writes the same part names with the same bytes, as any rerun does).
     */
    public void outgrewLane(@ExchangeProperty(BatchRun.PROPERTY) BatchRun run) {
        run.outgrewLane = true;
    }

    public boolean movesToLargeLane(@ExchangeProperty(BatchRun.PROPERTY) BatchRun run) {
        return run.outgrewLane;
    }

    /** The batch, for the large-file workers: its manifest, as sealed; it stays this instance's meanwhile. */
    public BatchManifest toLargeLane(@ExchangeProperty(BatchRun.PROPERTY) BatchRun run) {
        LOG.info("Batch {} ({} files): a file read more than {} bytes of JSONL, more than a small file may; the batch runs "
                + "again on the large-file workers", run.manifest.batchId(), run.manifest.sources().size(), run.maxJsonlBytes);
        // what it waits with is its manifest, not the files the planner read ahead for it
        run.read.clear();
        return ownership.moveToLargeLane(run.manifest);
    }

    public BatchOutcome outcome(@ExchangeProperty(BatchRun.PROPERTY) BatchRun run) {
        return run.outcome;
    }

    private void reportProgress(BatchRun run, SourceRun file, LineChunks chunks) {
        file.status.bytesRead = chunks.bytesRead();
        file.status.recordsAccepted = file.accepted;
        file.status.recordsRejected = file.rejectedCount;
        writeProgress(run, file);
    }

    /**
     * A "processing" status, never over the final one of an instance that took the batch over: the ownership check
     * keeps a stalled run from starting the write, and the write goes only over the version this run read or wrote,
     * for one already under way when the stall began (or a run whose batch was committed by its stalled first owner).
     */
    private void writeProgress(BatchRun run, SourceRun file) {
        if (run.settled[file.index]) {
            return; // never "processing" over a final status of this batch (BatchRun#settled)
        }
        ownership.confirmOwnership(run.manifest.batchId());
        if (!statuses.writeIfUnchanged(file.status)) {
            // written by someone else since: this run's figures are not the news; its final status still goes out
            // (unconditionally) if the batch is still this instance's when it commits
            ownership.confirmOwnership(run.manifest.batchId());
            LOG.debug("{}: progress not written, its status changed meanwhile", file.key);
        }
    }

    /** The file's own reason (a {@link SourceFailure} somewhere in the cause chain). */
    static String reason(Throwable caught) {
        for (Throwable t = caught; t != null; t = t.getCause()) {
            if (t instanceof SourceFailure failure) {
                return failure.getMessage();
            }
        }
        return String.valueOf(caught.getMessage());
    }
}

package io.inlet.pipeline;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

import io.inlet.api.ApiError;
import io.inlet.schema.FieldError;
import io.inlet.status.UploadStatus;
import io.inlet.storage.FileKey;

/**
 * One file of a batch run: writes its checked chunks in file order, valid records to the lake's parts, invalid
 * lines to the file's rejected-records file.
 *
 * <p>The split's aggregation ({@link InFileOrder}) only files each chunk under its number as its check finishes
 * (any order, on the check threads, no I/O). Writing happens on the thread that reads the file, before it reads
 * the next chunk ({@link #roomFor}), and for the last chunks on the route's thread once the split is done
 * ({@link #writeRest}): one writer at a time, in chunk order, never waiting on a timeout — so the parts of a
 * rerun are byte for byte those of the first run, and no S3 or disk wait holds a check thread.
 */
final class SourceRun implements LineChunks.Gate {

    static final String PROPERTY = "inletSource";

    final int index;
    final FileKey key;
    final long declaredSize;
    final UploadStatus status;
    final RecordCheck check;
    final RejectedFile rejected;
    private final LakeWriter lake;
    private final Progress progress;
    /** Chunks of the file that may be read but not yet written. */
    private final int maxOut;

    /** Guards {@link #checked}, {@link #stopped}: the hand-over from the check threads. */
    private final Object handOver = new Object();
    private final TreeMap<Integer, Chunk> checked = new TreeMap<>();
    private boolean stopped;

    /** Guards the writes and {@link #closed}: once closed (the route moved on) nothing more is written. */
    private final Object writing = new Object();
    private boolean closed;
    private int nextChunk;
    private final PartsAllowance parts;
    /** Valid records read so far, those refused for want of a part included: what the part allowance grows with. */
    private long valid;
    long accepted;
    long rejectedCount;
    final List<ApiError> firstRejections = new ArrayList<>();
    /** For an object shared by upload-json batches: the last line of each batch, and the records rejected in each. */
    private final long[] batchLastLine;
    private final long[] batchRejected;
    private LineChunks chunks;

    /** Reports a large file's progress while it is written. */
    interface Progress {
        void report(SourceRun source, LineChunks chunks);
    }

    /**
     * @param parts how many lake parts the file's records may go to, by how many it has; null: as many as they need
     *              (an upload-json object, whose batches were held to it when they arrived)
     */
    SourceRun(int index, FileKey key, long declaredSize, UploadStatus status, RecordCheck check, RejectedFile rejected,
            LakeWriter lake, PartsAllowance parts, Progress progress, int maxOut) {
        this.index = index;
        this.key = key;
        this.declaredSize = declaredSize;
        this.status = status;
        this.check = check;
        this.rejected = rejected;
        this.lake = lake;
        this.parts = parts;
        this.progress = progress;
        this.maxOut = Math.max(1, maxOut);
        List<UploadStatus.SharedBatch> batches = status.batches;
        batchLastLine = batches == null ? null : new long[batches.size()];
        batchRejected = batches == null ? null : new long[batches.size()];
        long line = 0;
        for (int i = 0; batchLastLine != null && i < batchLastLine.length; i++) {
            line += batches.get(i).records();
            batchLastLine[i] = line;
        }
    }

    /** The records rejected in each batch of a shared object, in object order; null for any other file. */
    List<Long> batchesRejected() {
        return batchRejected == null ? null : Arrays.stream(batchRejected).boxed().toList();
    }

    void reading(LineChunks chunks) {
        this.chunks = chunks;
        chunks.gate(this);
    }

    /** A chunk came back checked (from the split's aggregation). */
    void checked(int number, Chunk chunk) {
        synchronized (handOver) {
            checked.put(number, chunk);
            handOver.notifyAll();
        }
    }

    /** The split ended, whatever the reason: the reader stops waiting for chunks that may never come back. */
    void stopReading() {
        synchronized (handOver) {
            stopped = true;
            handOver.notifyAll();
        }
    }

    /**
     * The reader's gate: writes the chunks whose turn has come, and waits for the next one in order while more
     * than {@code maxOut} chunks are out. False when the split ended meanwhile.
     */
    @Override
    public boolean roomFor(int chunksRead) throws IOException {
        while (true) {
            Chunk next;
            synchronized (handOver) {
                // The last chunk handed out is not submitted yet when Camel looks ahead for the next: only wait
                // for chunks before it.
                while (!stopped && !checked.containsKey(nextChunk) && chunksRead - nextChunk > maxOut) {
                    try {
                        handOver.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while waiting for a chunk's check");
                    }
                }
                if (stopped) {
                    return false;
                }
                next = checked.remove(nextChunk);
            }
            if (next == null) {
                return true;
            }
            if (!write(next)) {
                return false;
            }
        }
    }

    /**
     * After the split: writes the chunks still waiting. Every chunk read was checked by now (the split waits
     * for all of them), so a missing one means a chunk was lost and the file must not be counted as done.
     */
    void writeRest(int chunksRead) throws IOException {
        while (nextChunk < chunksRead) {
            Chunk next;
            synchronized (handOver) {
                next = checked.remove(nextChunk);
            }
            if (next == null) {
                throw new IllegalStateException("file " + key.key() + ": chunk " + nextChunk + " of " + chunksRead
                        + " was read but never came back checked");
            }
            if (!write(next)) {
                throw new IllegalStateException("file " + key.key() + " was closed while its last chunks were written");
            }
        }
    }

    /** The route moved on (done or failed): waits for a write under way, and nothing is written after it. */
    void close() {
        stopReading();
        synchronized (writing) {
            closed = true;
        }
    }

    private boolean write(Chunk chunk) throws IOException {
        synchronized (writing) {
            if (closed) {
                return false;
            }
            apply(chunk);
            nextChunk++;
            progress.report(this, chunks);
            return true;
        }
    }

    private void apply(Chunk chunk) throws IOException {
        LakeWriter.Partition partition = null;
        for (int i = 0; i < chunk.count; i++) {
            switch (chunk.verdict[i]) {
                case Chunk.VALID -> {
                    if (partition == null || partition.epochDay() != chunk.epochDay[i]) {
                        partition = new LakeWriter.Partition(key.stream(), key.tenant(), chunk.epochDay[i]);
                    }
                    if (lake.append(partition, chunk.data, chunk.start[i], chunk.length[i], index, parts, ++valid)) {
                        accepted++;
                    } else {
                        reject(chunk, i, List.of(tooManyParts()));
                    }
                }
                case Chunk.REJECTED -> reject(chunk, i, chunk.errors[i]);
                default -> {
                    // blank line: skipped
                }
            }
        }
    }

    private void reject(Chunk chunk, int i, List<FieldError> errors) throws IOException {
        rejected.add(chunk.entry, chunk.line[i], errors, chunk.data, chunk.start[i], chunk.length[i],
                chunk.oversizedLength[i] > 0);
        rejectedCount++;
        if (batchLastLine != null) {
            int batch = Arrays.binarySearch(batchLastLine, chunk.line[i]);
            // a line past the last batch's (the object was not what its metadata said) counts in it
            batchRejected[Math.min(batch < 0 ? -batch - 1 : batch, batchRejected.length - 1)]++;
        }
        for (FieldError error : errors) {
            if (firstRejections.size() < UploadStatus.MAX_LISTED_REJECTIONS) {
                firstRejections.add(ApiError.atLine(chunk.entry, chunk.line[i], error.pointer(), error.message()));
            }
        }
    }

    /** A valid record the lake writer refused: its file's records already fill as many parts as the file may have. */
    private FieldError tooManyParts() {
        return parts.refusal(key.stream(), valid);
    }
}

package io.inlet.pipeline;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import io.inlet.api.ApiError;
import io.inlet.schema.FieldError;
import io.inlet.status.UploadStatus;
import io.inlet.storage.FileKey;

/**
 * One file of a batch run while its chunks come back from the checks: puts them back in file order (the split
 * hands them over in the order the checks finish) and writes them, valid records to the lake's parts, invalid
 * lines to the file's rejected-records file. Written in file order, whatever the threads did, the parts of a
 * rerun are byte for byte those of the first run.
 */
final class SourceRun {

    static final String PROPERTY = "inletSource";

    final int index;
    final FileKey key;
    final long declaredSize;
    final UploadStatus status;
    final RecordCheck check;
    final RejectedFile rejected;
    private final LakeWriter lake;
    private final Progress progress;
    private final TreeMap<Integer, Chunk> early = new TreeMap<>();
    private int nextChunk;
    long accepted;
    long rejectedCount;
    final List<ApiError> firstRejections = new ArrayList<>();

    /** Reports a large file's progress while it is read. */
    interface Progress {
        void report(SourceRun source, LineChunks chunks) throws IOException;
    }

    SourceRun(int index, FileKey key, long declaredSize, UploadStatus status, RecordCheck check, RejectedFile rejected,
            LakeWriter lake, Progress progress) {
        this.index = index;
        this.key = key;
        this.declaredSize = declaredSize;
        this.status = status;
        this.check = check;
        this.rejected = rejected;
        this.lake = lake;
        this.progress = progress;
    }

    /**
     * Chunk number {@code number} of the file came back checked. Called by one thread at a time (the split's
     * aggregation); writes it and every chunk waiting behind it, and gives the reader room for as many more.
     */
    void checked(int number, Chunk chunk, LineChunks chunks) throws IOException {
        early.put(number, chunk);
        for (Chunk next = early.remove(nextChunk); next != null; next = early.remove(nextChunk)) {
            write(next);
            nextChunk++;
            chunks.written();
            progress.report(this, chunks);
        }
    }

    /** Chunks checked but still waiting for an earlier one (none once the file is done). */
    int waiting() {
        return early.size();
    }

    private void write(Chunk chunk) throws IOException {
        LakeWriter.Partition partition = null;
        for (int i = 0; i < chunk.count; i++) {
            switch (chunk.verdict[i]) {
                case Chunk.VALID -> {
                    if (partition == null || partition.epochDay() != chunk.epochDay[i]) {
                        partition = new LakeWriter.Partition(key.stream(), key.tenant(), chunk.epochDay[i]);
                    }
                    lake.append(partition, chunk.data, chunk.start[i], chunk.length[i], index);
                    accepted++;
                }
                case Chunk.REJECTED -> {
                    List<FieldError> errors = chunk.errors[i];
                    rejected.add(chunk.line[i], errors, chunk.data, chunk.start[i], chunk.length[i],
                            chunk.oversizedLength[i] > 0);
                    rejectedCount++;
                    for (FieldError error : errors) {
                        if (firstRejections.size() < UploadStatus.MAX_LISTED_REJECTIONS) {
                            firstRejections.add(ApiError.atLine(chunk.line[i], error.pointer(), error.message()));
                        }
                    }
                }
                default -> {
                    // blank line: skipped
                }
            }
        }
    }
}

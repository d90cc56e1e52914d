package io.inlet.pipeline;

import java.util.List;

import io.inlet.api.ApiError;
import io.inlet.status.UploadStatus;
import io.inlet.storage.FileKey;

/**
 * What a batch did with one of its files. {@code failureReason} set means the file failed as a whole and
 * none of its records were written. {@code status} is the file's status document as it stood when the batch
 * read it (created, confirmed…), which the commit completes. {@code archive}: for a zip archive, what became of its
 * entries; null for other files. {@code rejectedNotKept}: rejected records past what the rejected-records file holds. {@code batchesRejected}: for an inbox object shared by upload-json batches, the
 * records rejected in each batch; null for other files.
 */
public record SourceResult(
        FileKey key,
        long bytesTotal,
        long recordsAccepted,
        long recordsRejected,
        List<ApiError> firstRejections,
        String rejectedKey,
        long rejectedNotKept,
        List<String> lakeKeys,
        String failureReason,
        UploadStatus status,
        ArchiveEntries archive,
        List<Long> batchesRejected) {

    static SourceResult failed(FileKey key, long bytesTotal, String reason, UploadStatus status) {
        return new SourceResult(key, bytesTotal, 0, 0, List.of(), null, 0, List.of(), reason, status, null, null);
    }

    SourceResult withLakeKeys(List<String> keys) {
        return new SourceResult(key, bytesTotal, recordsAccepted, recordsRejected, firstRejections, rejectedKey,
                rejectedNotKept, List.copyOf(keys), failureReason, status, archive, batchesRejected);
    }
}

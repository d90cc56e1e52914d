package io.inlet.status;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A page of GET /ingestion/uploads: the caller's uploads, newest first, and the cursor of the next page (null on the
 * last one).
 */
public record UploadList(
        @JsonProperty("uploads") List<Upload> uploads,
        @JsonProperty("next_cursor") @JsonInclude(JsonInclude.Include.ALWAYS) String nextCursor) {

    /** What a list shows of one upload; its status document (GET /ingestion/uploads/status) has the rest. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Upload(
            @JsonProperty("file_key") String fileKey,
            @JsonProperty("stream") String stream,
            @JsonProperty("state") UploadState state,
            @JsonProperty("created_at") String createdAt,
            @JsonProperty("updated_at") String updatedAt,
            @JsonProperty("finished_at") String finishedAt,
            @JsonProperty("bytes_total") Long bytesTotal,
            @JsonProperty("bytes_read") Long bytesRead,
            @JsonProperty("records_accepted") Long recordsAccepted,
            @JsonProperty("records_rejected") Long recordsRejected,
            @JsonProperty("failure_reason") String failureReason) {

        /** {@code listed}: the index entry, whose time stands in for a document that has no created_at. */
        static Upload of(UploadStatus status, UploadIndex.Entry listed) {
            return new Upload(status.fileKey, status.stream, status.state,
                    status.createdAt != null ? status.createdAt : listed.createdAt().toString(), status.updatedAt,
                    status.finishedAt, status.bytesTotal, status.bytesRead, status.recordsAccepted,
                    status.recordsRejected, status.failureReason);
        }
    }
}

package io.inlet.status;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.inlet.api.ApiError;

/**
 * The status document of one file (one file key), kept in the lake bucket under {@code _status/} so that it
 * survives restarts and is the same for every replica. Written at each step of the file's life.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"file_key", "tenant", "stream", "state", "bytes_total", "bytes_read", "records_accepted",
        "records_rejected", "first_rejections", "rejected_key", "entries_read", "entries_refused", "refused_entries",
        "lake_bucket", "lake_keys", "failure_reason",
        "created_at", "upload_url_expires_at", "confirmed_at", "started_at", "finished_at", "updated_at"})
public final class UploadStatus {

    /** How many rejection reasons the document itself lists; the rejected-records file has them all. */
    public static final int MAX_LISTED_REJECTIONS = 10;
    /** How many refused entries of a zip archive the document lists (an archive may have thousands). */
    public static final int MAX_LISTED_REFUSED_ENTRIES = 100;

    @JsonProperty("file_key") public String fileKey;
    @JsonProperty("tenant") public String tenant;
    @JsonProperty("stream") public String stream;
    @JsonProperty("state") public UploadState state;
    @JsonProperty("bytes_total") public Long bytesTotal;
    @JsonProperty("bytes_read") public Long bytesRead;
    @JsonProperty("records_accepted") public Long recordsAccepted;
    @JsonProperty("records_rejected") public Long recordsRejected;
    @JsonProperty("first_rejections") public List<ApiError> firstRejections;
    @JsonProperty("rejected_key") public String rejectedKey;
    /** Zip archives only: the JSONL entries read, the entries refused, and the first refused ones with the reason. */
    @JsonProperty("entries_read") public Long entriesRead;
    @JsonProperty("entries_refused") public Long entriesRefused;
    @JsonProperty("refused_entries") public List<RefusedEntry> refusedEntries;
    @JsonProperty("lake_bucket") public String lakeBucket;
    @JsonProperty("lake_keys") public List<String> lakeKeys;
    @JsonProperty("failure_reason") public String failureReason;
    @JsonProperty("created_at") public String createdAt;
    @JsonProperty("upload_url_expires_at") public String uploadUrlExpiresAt;
    @JsonProperty("confirmed_at") public String confirmedAt;
    @JsonProperty("started_at") public String startedAt;
    @JsonProperty("finished_at") public String finishedAt;
    @JsonProperty("updated_at") public String updatedAt;

    /** Made here rather than read from the lake: its first write also enters the file in the upload index. */
    @JsonIgnore
    private boolean unstored;

    /** A file's status that the lake does not hold yet (written with {@link StatusStore#write}). */
    public static UploadStatus of(String fileKey, String tenant, String stream, UploadState state) {
        UploadStatus status = new UploadStatus();
        status.fileKey = fileKey;
        status.tenant = tenant;
        status.stream = stream;
        status.state = state;
        status.unstored = true;
        return status;
    }

    boolean unstored() {
        return unstored;
    }

    void stored() {
        unstored = false;
    }

    /** Fresh processing figures on top of what was known before (created, confirmed). */
    public UploadStatus startProcessing(long bytesTotal, String now) {
        state = UploadState.PROCESSING;
        this.bytesTotal = bytesTotal;
        bytesRead = 0L;
        recordsAccepted = 0L;
        recordsRejected = 0L;
        firstRejections = new ArrayList<>();
        rejectedKey = null;
        entriesRead = null;
        entriesRefused = null;
        refusedEntries = null;
        lakeKeys = null;
        failureReason = null;
        startedAt = now;
        finishedAt = null;
        return this;
    }
}

package io.inlet.status;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Json;
import io.inlet.api.ApiError;

/**
 * The status document of one file (one file key), kept in the lake bucket under {@code _status/} so that it
 * survives restarts and is the same for every replica. Written at each step of the file's life.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"file_key", "tenant", "stream", "state", "bytes_total", "bytes_read", "records_accepted",
        "records_rejected", "first_rejections", "rejected_key", "rejected_not_kept", "entries_read", "entries_refused", "refused_entries",
        "lake_bucket", "lake_keys", "failure_reason",
        "created_at", "upload_url_expires_at", "confirmed_at", "started_at", "finished_at", "updated_at", "batches"})
public final class UploadStatus {

    private static final ObjectMapper COPIES = Json.mapper();

    /** How many rejection reasons the document itself lists; the rejected-records file has the rest (up to its bound). */
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
    /** Rejected records past what the rejected-records file holds (inlet.pipeline.rejected-max-bytes); null: none. */
    @JsonProperty("rejected_not_kept") public Long rejectedNotKept;
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
    /**
     * Stored only, never answered: for an inbox object shared by upload-json batches, each batch's records, bytes
     * and rejected records in object order (see {@link #ofBatch}).
     */
    @JsonProperty("batches") public List<SharedBatch> batches;

    /** One upload-json batch of a shared inbox object; {@code rejected} counts once the object is processed. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record SharedBatch(@JsonProperty("records") long records, @JsonProperty("bytes") long bytes,
            @JsonProperty("rejected") long rejected) {
    }

    /** Made here rather than read from the lake: its first write also enters the file in the upload index. */
    @JsonIgnore
    private boolean unstored;

    /** The stored document's ETag this was read as, or last written as: what {@link StatusStore#writeIfUnchanged} expects. */
    @JsonIgnore
    private String version;

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

    /**
     * The status of batch {@code number} (from 1) of the shared inbox object this is the status of, under the
     * batch's own file key: its records, bytes, rejected records and those of the first rejections that fall on
     * its lines (numbered from its own first line); state, times, lake keys and a failure as the object's. Empty when
     * the object has no such batch.
     */
    public Optional<UploadStatus> ofBatch(String batchKey, int number) {
        if (batches == null || number < 1 || number > batches.size()) {
            return Optional.empty();
        }
        long linesBefore = 0;
        long bytesBefore = 0;
        long rejectedBefore = 0;
        for (int i = 0; i < number - 1; i++) {
            linesBefore += batches.get(i).records();
            bytesBefore += batches.get(i).bytes();
            rejectedBefore += batches.get(i).rejected();
        }
        SharedBatch batch = batches.get(number - 1);
        UploadStatus of = copy();
        of.fileKey = batchKey;
        of.batches = null;
        of.bytesTotal = batch.bytes();
        of.bytesRead = bytesRead == null ? null : Math.max(0, Math.min(batch.bytes(), bytesRead - bytesBefore));
        boolean done = state == UploadState.COMPLETED || state == UploadState.COMPLETED_WITH_ERRORS;
        if (done) {
            of.recordsRejected = batch.rejected();
            of.recordsAccepted = batch.records() - batch.rejected();
            of.state = batch.rejected() > 0 ? UploadState.COMPLETED_WITH_ERRORS : UploadState.COMPLETED;
            // the object's rejected-records file keeps its first rejections: the last batches' may be left out
            long keptInFile = (recordsRejected == null ? 0 : recordsRejected) - (rejectedNotKept == null ? 0 : rejectedNotKept);
            long kept = Math.max(0, Math.min(batch.rejected(), keptInFile - rejectedBefore));
            of.rejectedKey = kept > 0 ? rejectedKey : null;
            of.rejectedNotKept = batch.rejected() - kept > 0 ? batch.rejected() - kept : null;
        } else if (recordsAccepted != null) {
            of.recordsAccepted = 0L;
            of.recordsRejected = 0L;
        }
        if (firstRejections != null) {
            long first = linesBefore + 1;
            long last = linesBefore + batch.records();
            of.firstRejections = new ArrayList<>();
            for (ApiError rejection : firstRejections) {
                if (rejection.line() != null && rejection.line() >= first && rejection.line() <= last) {
                    of.firstRejections.add(new ApiError(rejection.entry(), rejection.index(), rejection.line() - linesBefore,
                            rejection.pointer(), rejection.header(), rejection.message()));
                }
            }
        }
        return Optional.of(of);
    }

    /** The document as it would be answered for its own key: the shared object's batches are not part of it. */
    public UploadStatus answered() {
        if (batches == null) {
            return this;
        }
        UploadStatus of = copy();
        of.batches = null;
        return of;
    }

    /** A copy through the document's own JSON form, so that it holds every field the document has. */
    private UploadStatus copy() {
        return COPIES.convertValue(this, UploadStatus.class);
    }

    boolean unstored() {
        return unstored;
    }

    void stored(String version) {
        unstored = false;
        this.version = version;
    }

    String version() {
        return version;
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
        rejectedNotKept = null;
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

package io.inlet.pipeline;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.inlet.Settings;
import io.inlet.status.UploadStatus;
import io.inlet.storage.FileKey;
import io.inlet.storage.SharedInboxObject;

/**
 * The membership of one batch, written to the lake ({@code _manifests/{batch_id}.json}) before any of its
 * output. Its sources and its cut settings fully determine the files the batch writes, so a batch
 * interrupted by a crash is simply run again from its manifest and overwrites what it had written. Its owner is
 * the instance running it; another instance takes it over when the owner's heartbeat stops.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record BatchManifest(
        @JsonProperty("batch_id") String batchId,
        @JsonProperty("created_at") String createdAt,
        @JsonProperty("owner") String owner,
        @JsonProperty("sources") List<Source> sources,
        @JsonProperty("cut") Cut cut,
        @JsonProperty("attempts") int attempts,
        @JsonProperty("retry_after") String retryAfter,
        @JsonProperty("last_error") String lastError,
        /** "large" once a file of it read more JSONL on the small-batch workers than a small file may; else absent. */
        @JsonProperty("lane") String lane) {

    static final String LARGE_LANE = "large";

    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'").withZone(ZoneOffset.UTC);

    /**
     * A file of the batch: its key (in the inbox, or the archive once moved), its size when planned, and whether
     * it was announced as having no status document yet (then none is looked up).
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Source(@JsonProperty("key") String key, @JsonProperty("size") long size,
            @JsonProperty("without_status") Boolean withoutStatus, @JsonProperty("batches") String batches) {

        public Source(String key, long size) {
            this(key, size, null, null);
        }

        /**
         * For an inbox object shared by upload-json batches ({@code batches}: its metadata as read when the batch
         * was planned), each batch's records and bytes, none rejected yet; null for any other file.
         */
        @JsonIgnore
        List<UploadStatus.SharedBatch> sharedBatches() {
            List<SharedInboxObject.Batch> layout = SharedInboxObject.decode(batches);
            if (layout.isEmpty()) {
                return null;
            }
            return layout.stream().map(b -> new UploadStatus.SharedBatch(b.records(), b.bytes(), 0)).toList();
        }
    }

    /**
     * How the batch cuts its output; taken from the settings when the batch is planned. Fields it does not know (a
     * manifest written by a newer version) are skipped, so an older instance can still take the batch over.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Cut(
            @JsonProperty("max_records_per_part") long maxRecordsPerPart,
            @JsonProperty("max_bytes_per_part") long maxBytesPerPart,
            @JsonProperty("gzip_level") int gzipLevel,
            @JsonProperty("max_line_bytes") int maxLineBytes,
            @JsonProperty("rejected_raw_bytes") int rejectedRawBytes,
            @JsonProperty("max_expansion_ratio") long maxExpansionRatio,
            @JsonProperty("max_zip_entries") int maxZipEntries,
            /** 0 in manifests written before the setting existed: no bound, as they ran then. */
            @JsonProperty("max_open_parts") int maxOpenParts,
            /** 0 in manifests written before the setting existed: no bound, as they ran then. */
            @JsonProperty("max_parts_per_file") int maxPartsPerFile,
            /** 0 in manifests written before the setting existed: only max_parts_per_file bounds, as they ran then. */
            @JsonProperty("free_parts_per_file") int freePartsPerFile,
            @JsonProperty("records_per_extra_part") int recordsPerExtraPart,
            /** 0 in manifests written before the setting existed: no bound, as they ran then. */
            @JsonProperty("rejected_max_bytes") long rejectedMaxBytes) {

        /** {@code inlet.pipeline.zip.max-entries}'s default, for manifests written before the setting existed. */
        static final int DEFAULT_MAX_ZIP_ENTRIES = 10_000;

        public Cut {
            if (maxZipEntries <= 0) {
                maxZipEntries = DEFAULT_MAX_ZIP_ENTRIES;
            }
        }

        static Cut of(Settings.Pipeline pipeline) {
            return new Cut(pipeline.maxRecordsPerPart(), pipeline.maxBytesPerPart(), pipeline.gzipLevel(), pipeline.maxLineBytes(),
                    pipeline.rejectedRawBytes(), pipeline.maxExpansionRatio(), pipeline.maxZipEntries(), pipeline.maxOpenParts(),
                    pipeline.maxPartsPerFile(), pipeline.freePartsPerFile(), pipeline.recordsPerExtraPart(),
                    pipeline.rejectedMaxBytes());
        }

        /** How many parts one file's records may go to, as this batch runs (upload-json's objects are not bound). */
        @JsonIgnore
        PartsAllowance partsAllowance() {
            return new PartsAllowance(freePartsPerFile, recordsPerExtraPart, maxPartsPerFile);
        }
    }

    /**
     * Batch ids sort by creation time (to the millisecond), so part names in a partition sort in the order batches were
     * planned: the order a reader takes the last update of a contact or account in.
     */
    static String newId(Instant now) {
        return ID_TIME.format(now) + "-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    static BatchManifest plan(String id, String owner, List<Source> sources, Settings.Pipeline pipeline, Instant now) {
        return new BatchManifest(id, now.toString(), owner, List.copyOf(sources), Cut.of(pipeline), 0, null, null, null);
    }

    BatchManifest failedAttempt(String error, Instant retryAfter) {
        return new BatchManifest(batchId, createdAt, owner, sources, cut, attempts + 1, retryAfter.toString(), error, lane);
    }

    /** The same batch, taken over by another instance (or by this one after a restart). */
    BatchManifest ownedBy(String instance) {
        return new BatchManifest(batchId, createdAt, instance, sources, cut, attempts, retryAfter, lastError, lane);
    }

    /** The same batch, from now on run by the large-file workers wherever it runs. */
    BatchManifest onLargeLane() {
        return new BatchManifest(batchId, createdAt, owner, sources, cut, attempts, retryAfter, lastError, LARGE_LANE);
    }

    /** The status of a file of the batch that has none yet, dated by the batch (a rerun dates it the same). */
    static UploadStatus firstStatus(BatchManifest manifest, FileKey key) {
        UploadStatus status = UploadStatus.of(key.key(), key.tenant(), key.stream().wireName(), null);
        status.createdAt = manifest.createdAt();
        return status;
    }

    @JsonIgnore
    boolean isLarge(Settings.Pipeline pipeline) {
        return LARGE_LANE.equals(lane) || sources.size() == 1 && pipeline.isLargeSource(sources.get(0).size());
    }

    @JsonIgnore
    boolean isDueAt(Instant now) {
        return retryAfter == null || !Instant.parse(retryAfter).isAfter(now);
    }
}

package io.inlet.status;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import io.inlet.api.ApiError;
import io.inlet.api.ApiException;
import io.inlet.api.JsonResponses;
import io.inlet.api.TenantScope;
import io.inlet.ops.LogContext;
import io.inlet.storage.Buckets;
import io.inlet.storage.FileKey;
import io.inlet.storage.S3Objects;
import io.inlet.storage.SharedInboxObject;
import io.inlet.tenant.ApiKeyAuth;
import org.apache.camel.Exchange;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * GET /ingestion/uploads/status?file_key=K for the caller's own files. The status document when there is one;
 * otherwise what the buckets say (in the inbox: queued; in landing: uploaded, awaiting confirmation).
 */
public final class UploadStatusApi {

    private final StatusStore statuses;
    private final S3Client s3;
    private final Buckets buckets;

    public UploadStatusApi(StatusStore statuses, S3Client s3, Buckets buckets) {
        this.statuses = statuses;
        this.s3 = s3;
        this.buckets = buckets;
    }

    public UploadStatus status(Exchange exchange) {
        String tenant = ApiKeyAuth.tenantOf(exchange);
        String fileKey = exchange.getMessage().getHeader("file_key", String.class);
        if (fileKey == null || fileKey.isBlank()) {
            throw ApiException.badRequest("Give the file as ?file_key=…", ApiError.atField("/file_key", "is required but missing"));
        }
        FileKey key = TenantScope.requireOwnFile(fileKey, tenant);
        LogContext.file(exchange, key);
        UploadStatus status = find(key).orElseThrow(() -> ApiException.notFound("No file is known at this file_key",
                ApiError.atField("/file_key", "is not a known file")));
        return JsonResponses.ok(exchange, status);
    }

    /** The file's status document, or one derived from the buckets; empty when neither knows the file. */
    Optional<UploadStatus> find(FileKey key) {
        Optional<SharedInboxObject.BatchOf> batch = SharedInboxObject.batchOf(key);
        if (batch.isPresent()) {
            return findBatch(key, batch.get());
        }
        // read again last: the pipeline may have written it and removed the file from the inbox meanwhile
        return statuses.read(key.key()).or(() -> fromBuckets(key)).or(() -> statuses.read(key.key()))
                .map(UploadStatus::answered);
    }

    /**
     * What the upload list shows for one of its entries: the file's status, or, for an inbox object shared by
     * upload-json batches, each batch's status, last batch first (the list is newest first).
     */
    List<UploadStatus> findListed(FileKey key) {
        Optional<UploadStatus> status = statuses.read(key.key());
        if (status.isEmpty()) {
            Optional<HeadObjectResponse> inbox = S3Objects.head(s3, buckets.inbox(), key.key());
            List<UploadStatus> queued = inbox.map(head -> queuedBatches(key, head)).orElse(List.of());
            if (!queued.isEmpty()) {
                return newestFirst(queued);
            }
            // read again: the pipeline may have written it and removed the file from the inbox meanwhile
            status = fromBuckets(key, inbox).or(() -> statuses.read(key.key()));
        }
        if (status.isPresent() && status.get().batches != null) {
            List<UploadStatus> batches = new ArrayList<>();
            for (int number = 1; number <= status.get().batches.size(); number++) {
                status.get().ofBatch(SharedInboxObject.batchKey(key, number).key(), number).ifPresent(batches::add);
            }
            return newestFirst(batches);
        }
        return status.map(UploadStatus::answered).stream().toList();
    }

    private Optional<UploadStatus> findBatch(FileKey key, SharedInboxObject.BatchOf batch) {
        String object = batch.object().key();
        int number = batch.number();
        return statuses.read(object).flatMap(status -> status.ofBatch(key.key(), number))
                .or(() -> S3Objects.head(s3, buckets.inbox(), object).map(head -> queuedBatches(batch.object(), head))
                        .filter(queued -> number <= queued.size()).map(queued -> queued.get(number - 1)))
                .or(() -> statuses.read(object).flatMap(status -> status.ofBatch(key.key(), number)));
    }

    /** The batches of a shared object still in the inbox, queued, in object order (from its metadata); else none. */
    private static List<UploadStatus> queuedBatches(FileKey object, HeadObjectResponse head) {
        List<SharedInboxObject.Batch> batches = SharedInboxObject.layoutOf(object, head.contentLength(),
                head.metadata().get(SharedInboxObject.METADATA));
        List<UploadStatus> queued = new ArrayList<>(batches.size());
        for (int number = 1; number <= batches.size(); number++) {
            UploadStatus status = derived(SharedInboxObject.batchKey(object, number), UploadState.QUEUED, head);
            status.bytesTotal = batches.get(number - 1).bytes();
            queued.add(status);
        }
        return queued;
    }

    private static List<UploadStatus> newestFirst(List<UploadStatus> inObjectOrder) {
        List<UploadStatus> reversed = new ArrayList<>(inObjectOrder);
        Collections.reverse(reversed);
        return reversed;
    }

    private Optional<UploadStatus> fromBuckets(FileKey key) {
        return fromBuckets(key, S3Objects.head(s3, buckets.inbox(), key.key()));
    }

    /** Queued while in the inbox ({@code inbox}: its HEAD, already made), awaiting its upload while in the landing bucket. */
    private Optional<UploadStatus> fromBuckets(FileKey key, Optional<HeadObjectResponse> inbox) {
        if (inbox.isPresent()) {
            return Optional.of(derived(key, UploadState.QUEUED, inbox.get()));
        }
        return S3Objects.head(s3, buckets.landing(), key.key()).map(landing -> derived(key, UploadState.AWAITING_UPLOAD, landing));
    }

    private static UploadStatus derived(FileKey key, UploadState state, HeadObjectResponse object) {
        UploadStatus status = UploadStatus.of(key.key(), key.tenant(), key.stream().wireName(), state);
        status.bytesTotal = object.contentLength();
        return status;
    }

}

package io.inlet.status;

import java.util.Optional;

import io.inlet.api.ApiError;
import io.inlet.api.ApiException;
import io.inlet.api.JsonResponses;
import io.inlet.api.TenantScope;
import io.inlet.ops.LogContext;
import io.inlet.storage.Buckets;
import io.inlet.storage.FileKey;
import io.inlet.storage.S3Objects;
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
        return statuses.read(key.key()).or(() -> fromBuckets(key));
    }

    private Optional<UploadStatus> fromBuckets(FileKey key) {
        Optional<HeadObjectResponse> inbox = S3Objects.head(s3, buckets.inbox(), key.key());
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

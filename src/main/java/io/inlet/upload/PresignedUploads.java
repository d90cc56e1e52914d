package io.inlet.upload;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.api.ApiException;
import io.inlet.api.JsonResponses;
import io.inlet.api.JsonRequests;
import io.inlet.schema.Stream;
import io.inlet.status.StatusStore;
import io.inlet.status.UploadState;
import io.inlet.status.UploadStatus;
import io.inlet.storage.Buckets;
import io.inlet.storage.FileKey;
import io.inlet.tenant.ApiKeyAuth;
import org.apache.camel.Exchange;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * POST /ingestion/generate-upload-url: a presigned PUT URL for a new key in the landing bucket. Only the host
 * is signed, not Content-Type or Content-Encoding: the reference's curl sends neither, its Python script
 * sends both, and both must work (whether a file is gzip is told later by its bytes).
 */
public final class PresignedUploads {

    private final S3Presigner presigner;
    private final UploadUrlSigner signer;
    private final Buckets buckets;
    private final StatusStore statuses;
    private final Duration expiry;
    private final Clock clock;
    private final UploadExpiry pending;
    private final int maxPending;

    /** @param maxPending upload URLs a tenant may hold that are neither confirmed nor expired */
    public PresignedUploads(S3Presigner presigner, AwsCredentialsProvider signingCredentials, Buckets buckets,
            StatusStore statuses, Duration expiry, int maxPending, Clock clock, UploadExpiry pending) {
        this.signer = new UploadUrlSigner(presigner, signingCredentials, expiry);
        this.pending = pending;
        this.maxPending = maxPending;
        this.presigner = presigner;
        this.buckets = buckets;
        this.statuses = statuses;
        this.expiry = expiry;
        this.clock = clock;
    }

    public UploadUrlResponse generate(Exchange exchange) {
        String tenant = ApiKeyAuth.tenantOf(exchange);
        JsonNode request = JsonRequests.request(exchange);
        Stream stream = Stream.fromWireName(request.get("stream").asText()).orElseThrow();
        // Unconfirmed uploads are stored but count against no other limit until confirmed (OpenUploads).
        if (!pending.openUploads().reserve(tenant, maxPending)) {
            throw new ApiException(409, "Too many open uploads: tenant '" + tenant + "' holds " + maxPending
                    + " upload URLs that are neither confirmed nor expired; confirm those uploads (an unconfirmed one "
                    + "expires " + inWords(expiry.plus(pending.grace())) + " after its URL was made) before asking for more",
                    List.of());
        }
        Instant now = clock.instant();
        FileKey key = FileKey.create(stream, FileKey.SOURCE_API, tenant, now, true);
        UploadUrlSigner.Signed signed;
        try {
            signed = signer.sign(buckets.landing(), key.key(), now);
            // The marker before the status: stopped between the two, the service leaves a marker the expiry sweep
            // removes (no status: nothing was handed out), where the other order left an upload awaiting forever.
            pending.opened(key);
        } catch (RuntimeException e) {
            pending.openUploads().released(tenant); // no URL made
            throw e;
        }
        UploadStatus status = UploadStatus.of(key.key(), tenant, stream.wireName(), UploadState.AWAITING_UPLOAD);
        status.createdAt = now.toString();
        status.uploadUrlExpiresAt = signed.expiresAt().toString();
        // Failed (or not known to have been stored: a timeout), the status's marker stays: the sweep removes it if
        // there is no status (within minutes: no URL was handed out), and expires the upload if there is one.
        statuses.write(status);
        return JsonResponses.ok(exchange, new UploadUrlResponse(signed.url(), key.key()));
    }

    private static String inWords(Duration duration) {
        long minutes = duration.toMinutes();
        if (minutes == 0) {
            return duration.toSeconds() + " s"; // a short expiry, as tests and demos set
        }
        return minutes % 60 == 0 ? minutes / 60 + " h" : minutes + " min";
    }

    /**
     * Where browsers send the files of upload URLs ({@code scheme://host[:port]}, the bucket's host when S3 names
     * buckets by host): the one place besides the service a page of the console may connect to.
     */
    public String uploadOrigin() {
        URI url = URI.create(presigner.presignPutObject(p -> p.signatureDuration(expiry)
                .putObjectRequest(o -> o.bucket(buckets.landing()).key("origin"))).url().toString());
        return url.getScheme() + "://" + url.getRawAuthority();
    }
}

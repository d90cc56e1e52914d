package io.inlet.upload;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Signs upload URLs and says how long each really lasts. S3 refuses a presigned request once the credentials that
 * signed it expire, whatever its X-Amz-Expires: temporary credentials (an EC2 instance role: up to 6 h; EKS service
 * account roles: 1 h by default) cut a URL short, and the SDK's presigner does not say so (aws/aws-sdk-java-v2#2379).
 * The credentials are resolved here, the URL signed with exactly those, and its expiry is the earlier of the two.
 */
final class UploadUrlSigner {

    private static final Logger LOG = LoggerFactory.getLogger(UploadUrlSigner.class);

    /** A URL, and when S3 stops taking it. */
    record Signed(String url, Instant expiresAt) {
    }

    private final S3Presigner presigner;
    private final AwsCredentialsProvider credentials;
    private final Duration expiry;
    private final AtomicBoolean toldCutShort = new AtomicBoolean();

    UploadUrlSigner(S3Presigner presigner, AwsCredentialsProvider credentials, Duration expiry) {
        this.presigner = presigner;
        this.credentials = credentials;
        this.expiry = expiry;
    }

    Signed sign(String bucket, String key, Instant now) {
        AwsCredentials signing = credentials.resolveCredentials();
        Instant expiresAt = now.plus(expiry);
        Optional<Instant> credentialsExpire = signing.expirationTime();
        if (credentialsExpire.isPresent() && credentialsExpire.get().isBefore(expiresAt)) {
            expiresAt = credentialsExpire.get().isAfter(now) ? credentialsExpire.get() : now.plusSeconds(1);
            if (toldCutShort.compareAndSet(false, true)) {
                LOG.warn("Upload URLs last only as long as the temporary S3 credentials that sign them: this one {} min, "
                        + "not the {} min of inlet.upload.url-expiry (each status's upload_url_expires_at says when). "
                        + "For long uploads give Inlet long-term keys (inlet.s3.access-key / inlet.s3.secret-key)",
                        Duration.between(now, expiresAt).toMinutes(), expiry.toMinutes());
            }
        }
        Duration lasts = Duration.between(now, expiresAt);
        StaticCredentialsProvider exactly = StaticCredentialsProvider.create(signing);
        String url = presigner.presignPutObject(p -> p.signatureDuration(lasts)
                .putObjectRequest(o -> o.bucket(bucket).key(key)
                        .overrideConfiguration(c -> c.credentialsProvider(exactly)))).url().toString();
        return new Signed(url, expiresAt);
    }
}

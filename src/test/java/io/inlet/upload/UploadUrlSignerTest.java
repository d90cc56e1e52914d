package io.inlet.upload;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * An upload URL lasts no longer than the credentials that signed it (S3 refuses it once they expire): with temporary
 * credentials, as an instance role gives, the URL and the status's upload_url_expires_at say when they expire.
 */
class UploadUrlSignerTest {

    private static final Duration EXPIRY = Duration.ofHours(12);
    private final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private final S3Presigner presigner = S3Presigner.builder().region(Region.US_EAST_1)
            .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("NOTUSED", "notused")))
            .build();

    @Test
    void temporaryCredentialsCutTheUrlShortAndSaySo() {
        Instant credentialsExpire = now.plus(Duration.ofMinutes(20));
        AwsSessionCredentials session = AwsSessionCredentials.builder().accessKeyId("ASIATEMPORARY")
                .secretAccessKey("secret").sessionToken("token").expirationTime(credentialsExpire).build();
        UploadUrlSigner signer = new UploadUrlSigner(presigner, StaticCredentialsProvider.create(session), EXPIRY);

        UploadUrlSigner.Signed signed = signer.sign("landing", "data/x.jsonl.gz", now);

        assertThat(signed.expiresAt()).isEqualTo(credentialsExpire);
        String query = URI.create(signed.url()).getRawQuery();
        assertThat(query).contains("X-Amz-Credential=ASIATEMPORARY%2F").contains("X-Amz-Security-Token=token");
        long expires = Long.parseLong(query.replaceAll(".*X-Amz-Expires=(\\d+).*", "$1"));
        assertThat(expires).isBetween(1_140L, 1_200L);
    }

    @Test
    void longTermCredentialsGiveTheWholeExpiry() {
        UploadUrlSigner signer = new UploadUrlSigner(presigner,
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIALONGTERM", "secret")), EXPIRY);

        UploadUrlSigner.Signed signed = signer.sign("landing", "data/x.jsonl.gz", now);

        assertThat(signed.expiresAt()).isEqualTo(now.plus(EXPIRY));
        assertThat(signed.url()).contains("X-Amz-Credential=AKIALONGTERM%2F").contains("X-Amz-Expires=43200")
                .doesNotContain("X-Amz-Security-Token");
    }
}

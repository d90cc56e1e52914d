package io.inlet.storage.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * The public port recomputes a presigned PUT's signature before admitting it: URLs made by the SDK's presigner (as
 * the service makes them) pass as the client sends them; a changed signature, key, host, signed header value or
 * access key, and an expired URL, are refused with S3's error codes.
 */
class PresignedSignaturesTest {

    private static final AwsBasicCredentials KEYS = AwsBasicCredentials.create("inlet-uploads", "s3cr3t-upload-key");
    private static final String KEY = "/inlet-landing/contact_event/source_system%3Ddataapi/tenant%3Dacme/"
            + "dt%3D2026-11-28-22-00/5b0c9c8e-6f0e-4c53-9d2a-0c3f4a1e2b7d.jsonl.gz";

    @Test
    void aUrlTheSdkPresignedPassesAsSent() {
        for (String endpoint : new String[] {"http://localhost:9000", "http://s3.example.com", "http://[::1]:9000"}) {
            Request put = presigned(endpoint, Duration.ofHours(12), o -> o);
            assertThat(check(put, put.signedAt().plusSeconds(60))).as(endpoint).isEmpty();
            assertThat(check(put, put.signedAt().plus(Duration.ofHours(12)))).as("to its last second").isEmpty();
        }
    }

    @Test
    void aSignedContentTypeMustBeSentAsSigned() {
        Request put = presigned("http://localhost:9000", Duration.ofHours(1), o -> o.contentType("application/gzip"));
        assertThat(put.query.get("X-Amz-SignedHeaders")).contains("content-type");
        put.headers.put("Content-Type", "application/gzip");
        assertThat(check(put, put.signedAt())).isEmpty();
        put.headers.put("Content-Type", "text/plain");
        assertThat(code(check(put, put.signedAt()))).isEqualTo("SignatureDoesNotMatch");
    }

    @Test
    void aForgedOrChangedUrlIsRefused() {
        Request put = presigned("http://localhost:9000", Duration.ofHours(12), o -> o);

        Request forged = put.copy();
        forged.query.put("X-Amz-Signature", "0".repeat(64));
        assertThat(code(check(forged, put.signedAt()))).isEqualTo("SignatureDoesNotMatch");

        Request otherKey = put.copy();
        otherKey.path = put.path.replace("tenant%3Dacme", "tenant%3Dvictim");
        assertThat(code(check(otherKey, put.signedAt()))).isEqualTo("SignatureDoesNotMatch");

        Request otherHost = put.copy();
        otherHost.headers.put("Host", "localhost:9001");
        assertThat(code(check(otherHost, put.signedAt()))).isEqualTo("SignatureDoesNotMatch");

        Request longer = put.copy();
        longer.query.put("X-Amz-Expires", "604800");
        assertThat(code(check(longer, put.signedAt()))).isEqualTo("SignatureDoesNotMatch");

        Request otherAccessKey = put.copy();
        otherAccessKey.query.put("X-Amz-Credential",
                put.query.get("X-Amz-Credential").replace(KEYS.accessKeyId(), "someone-else"));
        assertThat(code(check(otherAccessKey, put.signedAt()))).isEqualTo("InvalidAccessKeyId");

        Request noDate = put.copy();
        noDate.query.remove("X-Amz-Date");
        assertThat(check(noDate, put.signedAt())).get().extracting(UploadRequestRules.Refusal::status).isEqualTo(400);
    }

    @Test
    void anExpiredUrlIsRefused() {
        Request put = presigned("http://localhost:9000", Duration.ofHours(12), o -> o);
        Optional<UploadRequestRules.Refusal> refusal = check(put, put.signedAt().plus(Duration.ofHours(12)).plusSeconds(1));
        assertThat(code(refusal)).isEqualTo("AccessDenied");
        assertThat(refusal.get().message()).isEqualTo("Request has expired");
    }

    private static Optional<UploadRequestRules.Refusal> check(Request put, Instant now) {
        return new PresignedSignatures(KEYS, Clock.fixed(now, ZoneOffset.UTC)).check("PUT", put.path, put.query,
                put.headers);
    }

    private static String code(Optional<UploadRequestRules.Refusal> refusal) {
        return refusal.map(UploadRequestRules.Refusal::code).orElse("none");
    }

    private static Request presigned(String endpoint, Duration expiry, UnaryOperator<PutObjectRequest.Builder> object) {
        try (S3Presigner presigner = S3Presigner.builder()
                .region(Region.of("us-east-1"))
                .credentialsProvider(StaticCredentialsProvider.create(KEYS))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .endpointOverride(URI.create(endpoint))
                .build()) {
            String bucket = KEY.substring(1, KEY.indexOf('/', 1));
            String key = URLDecoder.decode(KEY.substring(KEY.indexOf('/', 1) + 1), StandardCharsets.UTF_8);
            URI url = URI.create(presigner.presignPutObject(p -> p.signatureDuration(expiry)
                    .putObjectRequest(o -> object.apply(o.bucket(bucket).key(key)))).url().toString());
            Request request = new Request();
            request.path = url.getRawPath();
            for (String pair : url.getRawQuery().split("&")) {
                int eq = pair.indexOf('=');
                request.query.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
            request.headers.put("Host", url.getRawAuthority());
            request.headers.put("Content-Length", "1234");
            return request;
        }
    }

    /** A request as the gateway sees it: raw path, decoded query parameters, headers. */
    private static final class Request {
        String path;
        Map<String, String> query = new LinkedHashMap<>();
        Map<String, String> headers = new LinkedHashMap<>();

        Request copy() {
            Request copy = new Request();
            copy.path = path;
            copy.query.putAll(query);
            copy.headers.putAll(headers);
            return copy;
        }

        /** When the presigner signed it (the SDK signs with the clock of the moment; the URL states it). */
        Instant signedAt() {
            return DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC)
                    .parse(query.get("X-Amz-Date"), Instant::from);
        }
    }
}

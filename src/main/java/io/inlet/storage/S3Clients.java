package io.inlet.storage;

import java.net.URI;
import java.time.Duration;

import io.inlet.Settings;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/** Builds the S3 clients and the presigner from the {@code inlet.s3.*} settings; no other code path exists. */
public final class S3Clients {

    private S3Clients() {
    }

    /** {@code observers}: interceptors that see every call (the service's S3 call timer). */
    public static S3Client client(Settings settings, ExecutionInterceptor... observers) {
        return client(settings, false, observers);
    }

    /** The same, {@code oneAttempt}: without the SDK's retries. */
    public static S3Client client(Settings settings, boolean oneAttempt, ExecutionInterceptor... observers) {
        return client(settings, settings.s3Endpoint().isBlank() ? null : URI.create(settings.s3Endpoint()),
                S3Credentials.provider(settings), oneAttempt, observers);
    }

    /** A client of the same make for a given endpoint (null: AWS's for the region) and credentials. */
    public static S3Client client(Settings settings, URI endpoint, AwsCredentialsProvider credentials,
            ExecutionInterceptor... observers) {
        return client(settings, endpoint, credentials, false, observers);
    }

    /**
     * The same, and with {@code oneAttempt} without the SDK's retries: for writes that must not be repeated blindly
     * when an answer is lost ({@link InboxWrites}).
     */
    public static S3Client client(Settings settings, URI endpoint, AwsCredentialsProvider credentials,
            boolean oneAttempt, ExecutionInterceptor... observers) {
        var builder = S3Client.builder()
                .region(Region.of(settings.s3Region()))
                .credentialsProvider(credentials)
                .forcePathStyle(settings.s3PathStyle())
                // Checksums only where S3 requires them: S3-compatible servers differ in what else they accept.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                // The SDK asks S3 for "100 Continue" before each PUT body: one extra round trip per PUT
                // (10-30 ms on a real S3) to save sending a body S3 would refuse, which with the service's own
                // credentials it practically never does.
                .overrideConfiguration(o -> {
                    if (oneAttempt) {
                        o.retryStrategy(AwsRetryStrategy.doNotRetry());
                    }
                    o.addExecutionInterceptor(new ExecutionInterceptor() {
                        // Listings ask for URL-encoded keys (the SDK decodes them again): any system may write a key
                        // with characters XML 1.0 cannot carry (U+0001, U+FFFF), and one such key failed every
                        // listing it fell in (the inbox reconciliation, the backlog probe).
                        @Override
                        public SdkRequest modifyRequest(Context.ModifyRequest context, ExecutionAttributes attributes) {
                            return context.request() instanceof ListObjectsV2Request list && list.encodingType() == null
                                    ? list.toBuilder().encodingType(EncodingType.URL).build() : context.request();
                        }

                        @Override
                        public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context,
                                ExecutionAttributes attributes) {
                            return context.httpRequest().toBuilder().removeHeader("Expect").build();
                        }
                    });
                    for (ExecutionInterceptor observer : observers) {
                        o.addExecutionInterceptor(observer);
                    }
                })
                .httpClientBuilder(ApacheHttpClient.builder()
                        .expectContinueEnabled(false)
                        .maxConnections(64)
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofMinutes(2)));
        if (endpoint != null) {
            builder.endpointOverride(endpoint);
        }
        return builder.build();
    }

    /** Presigned URLs are built on the public endpoint: the host clients outside the service can reach. */
    public static S3Presigner presigner(Settings settings) {
        var builder = S3Presigner.builder()
                .region(Region.of(settings.s3Region()))
                .credentialsProvider(S3Credentials.provider(settings))
                .serviceConfiguration(S3Configuration.builder()
                        .pathStyleAccessEnabled(settings.s3PathStyle())
                        .build());
        if (!settings.s3PublicEndpoint().isBlank()) {
            builder.endpointOverride(URI.create(settings.s3PublicEndpoint()));
        }
        return builder.build();
    }
}

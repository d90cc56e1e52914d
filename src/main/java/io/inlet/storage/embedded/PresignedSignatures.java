package io.inlet.storage.embedded;

import static io.inlet.storage.embedded.UploadRequestRules.first;
import static io.inlet.storage.embedded.UploadRequestRules.refuse;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * The signature and expiry of a SigV4 presigned PUT, checked on the public port before the request may take an upload
 * slot. S3Proxy checks them too, but only once it sees the request, which is after admission: a forged request
 * naming a tenant's key (anyone can write one; the tenant id is in every file key) would otherwise hold that tenant's
 * slots for as long as it sends no body. The signature is computed again with the AWS SDK's own SigV4 signer, as the
 * service's presigner made it: the same canonical request (method, path as sent, the other query parameters, the
 * signed headers as sent), the date and lifetime the URL states, unsigned payload.
 */
final class PresignedSignatures {

    private static final DateTimeFormatter AMZ_DATE =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);
    /** AWS accepts presigned URLs of at most seven days. */
    private static final long MAX_EXPIRES_SECONDS = Duration.ofDays(7).toSeconds();
    /** The query parameters the signer adds; the others are part of what it signs. */
    private static final Set<String> AUTH_PARAMETERS = Set.of("x-amz-algorithm", "x-amz-credential", "x-amz-date",
            "x-amz-expires", "x-amz-signedheaders", "x-amz-signature");

    private final AwsCredentials credentials;
    private final Clock clock;
    private final HttpSigner<AwsCredentialsIdentity> signer = AwsV4HttpSigner.create();

    PresignedSignatures(AwsCredentials credentials, Clock clock) {
        this.credentials = credentials;
        this.clock = clock;
    }

    /**
     * Why S3 would refuse this presigned request's authentication, or empty when it is signed with this server's key
     * and has not expired.
     *
     * @param rawPath the path as sent (percent-encoded)
     * @param query   the query parameters (first value of each), names and values decoded
     * @param headers the request headers (first value of each)
     */
    Optional<UploadRequestRules.Refusal> check(String method, String rawPath, Map<String, String> query,
            Map<String, String> headers) {
        String algorithm = first(query, "x-amz-algorithm");
        String credential = first(query, "x-amz-credential");
        String date = first(query, "x-amz-date");
        String expires = first(query, "x-amz-expires");
        String signedHeaders = first(query, "x-amz-signedheaders");
        String signature = first(query, "x-amz-signature");
        if (!"AWS4-HMAC-SHA256".equals(algorithm) || credential == null || date == null || expires == null
                || signedHeaders == null || signature == null) {
            return refuse(400, "AuthorizationQueryParametersError",
                    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                            + "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
        }
        String[] scope = credential.split("/", -1);
        if (scope.length != 5 || !scope[3].equals("s3") || !scope[4].equals("aws4_request")) {
            return refuse(400, "AuthorizationQueryParametersError", "X-Amz-Credential is not a SigV4 credential");
        }
        if (!scope[0].equals(credentials.accessKeyId())) {
            return refuse(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
        }
        Instant signedAt;
        long lifetime;
        try {
            signedAt = AMZ_DATE.parse(date, Instant::from);
            lifetime = Long.parseLong(expires);
        } catch (DateTimeParseException | NumberFormatException e) {
            return refuse(400, "AuthorizationQueryParametersError", "X-Amz-Date or X-Amz-Expires is malformed");
        }
        if (lifetime < 1 || lifetime > MAX_EXPIRES_SECONDS) {
            return refuse(400, "AuthorizationQueryParametersError",
                    "X-Amz-Expires must be between 1 and " + MAX_EXPIRES_SECONDS + " seconds");
        }
        if (clock.instant().isAfter(signedAt.plusSeconds(lifetime))) {
            return refuse(403, "AccessDenied", "Request has expired");
        }
        String host = first(headers, "host");
        if (host == null) {
            return refuse(400, "InvalidRequest", "The request has no Host header");
        }
        String expected = signatureOf(method, rawPath, query, headers, host, signedHeaders, scope[2], signedAt, lifetime);
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                signature.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII))) {
            return refuse(403, "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided.");
        }
        return Optional.empty();
    }

    private String signatureOf(String method, String rawPath, Map<String, String> query, Map<String, String> headers,
            String host, String signedHeaders, String region, Instant signedAt, long lifetime) {
        SdkHttpRequest.Builder request = SdkHttpRequest.builder()
                .method(SdkHttpMethod.fromValue(method))
                .protocol("http")
                .host(hostName(host))
                .encodedPath(rawPath);
        query.forEach((name, value) -> {
            if (!AUTH_PARAMETERS.contains(name.toLowerCase(Locale.ROOT))) {
                request.appendRawQueryParameter(name, value);
            }
        });
        // Only what the URL says it signed, with the values as sent (Host as the client wrote it, port and all).
        for (String name : signedHeaders.split(";")) {
            String value = first(headers, name);
            if (value != null) {
                request.putHeader(name, value);
            }
        }
        var signed = signer.sign(r -> r.identity(credentials)
                .request(request.build())
                .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, "s3")
                .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                .putProperty(AwsV4FamilyHttpSigner.AUTH_LOCATION, AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
                .putProperty(AwsV4FamilyHttpSigner.EXPIRATION_DURATION, Duration.ofSeconds(lifetime))
                .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false)
                .putProperty(AwsV4FamilyHttpSigner.DOUBLE_URL_ENCODE, false)
                .putProperty(AwsV4FamilyHttpSigner.NORMALIZE_PATH, false)
                .putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(signedAt, ZoneOffset.UTC)));
        List<String> values = signed.request().rawQueryParameters().get("X-Amz-Signature");
        return values == null || values.isEmpty() ? "" : values.get(0);
    }

    /** The host of a Host header value ({@code name[:port]}, {@code [v6][:port]}); the header itself is signed as sent. */
    private static String hostName(String host) {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end < 0 ? host : host.substring(0, end + 1);
        }
        int colon = host.lastIndexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }
}

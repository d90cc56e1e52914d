package io.inlet.storage.embedded;

import static io.inlet.storage.embedded.UploadRequestRules.refuse;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collections;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import io.vertx.core.MultiMap;
import jakarta.servlet.http.HttpServletRequest;
import org.gaul.s3proxy.auth.AwsSignature;
import org.gaul.s3proxy.auth.S3AuthorizationHeader;
import software.amazon.awssdk.auth.credentials.AwsCredentials;

/**
 * The signature of a header-signed SigV4 request ({@code Authorization: AWS4-HMAC-SHA256 …}), checked on the public
 * port before the request may take a slot. The store checks it too, but when the payload is signed it reads the whole
 * body first (up to {@code signed-payload-bytes}) to hash it: a forged request would hold a slot, and some of that
 * budget, for as long as its body takes, and the access key id is no secret (it is in every upload URL). The payload
 * line of the canonical request is the hash the request states in {@code x-amz-content-sha256}; the store still
 * checks the body against that hash once it has it. The signature is computed with the store's own SigV4 code, so
 * the two cannot disagree on what a request signed.
 */
final class HeaderSignatures {

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
    /** The payload tokens S3 takes in place of a hash (their bodies are not hashed whole). */
    private static final Set<String> PAYLOAD_TOKENS = Set.of("UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER");

    private final AwsCredentials credentials;

    HeaderSignatures(AwsCredentials credentials) {
        this.credentials = credentials;
    }

    /** Whether the request is signed in its headers with SigV4 (what {@link #check} judges). */
    static boolean signedInHeaders(MultiMap headers) {
        String authorization = headers.get("Authorization");
        return authorization != null && authorization.startsWith("AWS4-");
    }

    /**
     * Why S3 would refuse this header-signed request's authentication, or empty when it is signed with this server's
     * key (its body, if signed, is then checked against the stated hash by the store).
     *
     * @param rawPath the path as sent (percent-encoded)
     * @param params  the query parameters, decoded
     */
    Optional<UploadRequestRules.Refusal> check(String method, String rawPath, MultiMap params, MultiMap headers) {
        S3AuthorizationHeader authorization;
        try {
            authorization = new S3AuthorizationHeader(headers.get("Authorization"));
        } catch (RuntimeException malformed) {
            return refuse(400, "AuthorizationHeaderMalformed", "The authorization header is malformed");
        }
        if (!credentials.accessKeyId().equals(authorization.getIdentity())) {
            return refuse(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
        }
        if (authorization.getHashAlgorithm() == null || authorization.getHmacAlgorithm() == null
                || authorization.getSignature() == null) {
            return refuse(400, "AuthorizationHeaderMalformed", "The authorization header is malformed");
        }
        String payload = headers.get("x-amz-content-sha256");
        if (payload == null) {
            return refuse(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256");
        }
        boolean hashed = SHA256_HEX.matcher(payload).matches();
        if (!hashed && !PAYLOAD_TOKENS.contains(payload)) {
            return refuse(400, "InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING- token"
                    + " or a valid sha256 value.");
        }
        String expected;
        try {
            expected = AwsSignature.createAuthorizationSignatureV4(servletView(method, params, headers), authorization,
                    new byte[0], rawPath, credentials.secretAccessKey(), false, null, hashed ? payload : null)
                    .signature();
        } catch (Exception unsignable) {
            // the store throws AccessDenied for a request naming no signed headers, and fails on what it cannot hash
            return refuse(403, "AccessDenied", "The request's signature cannot be checked");
        }
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                authorization.getSignature().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII))) {
            return refuse(403, "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided.");
        }
        return Optional.empty();
    }

    /**
     * The request's head as the store's signature code reads it: method, headers (every value of each) and decoded
     * query parameters. Nothing else of a servlet request is asked for; anything else fails loudly.
     */
    private static HttpServletRequest servletView(String method, MultiMap params, MultiMap headers) {
        return (HttpServletRequest) Proxy.newProxyInstance(HeaderSignatures.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, called, args) -> switch (called.getName()) {
                    case "getMethod" -> method;
                    case "getHeader" -> headers.get((String) args[0]);
                    case "getHeaders" -> Collections.enumeration(headers.getAll((String) args[0]));
                    case "getHeaderNames" -> Collections.enumeration(headers.names());
                    case "getParameter" -> params.get((String) args[0]);
                    case "getParameterNames" -> Collections.enumeration(params.names());
                    case "toString" -> method + " request head";
                    default -> throw new UnsupportedOperationException(called.getName());
                });
    }
}

package io.inlet.storage.embedded;

import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the embedded S3's public port lets through, decided from the request line and headers alone (before a
 * byte of the body is read). AWS S3 is the model:
 * <ul>
 *   <li>no anonymous requests: every request carries a signature (header or presigned query), except CORS
 *       preflights;</li>
 *   <li>every {@code x-amz-*} header must be covered by the signature (AWS refuses unsigned ones on presigned
 *       requests; S3Proxy does not check, so an upload URL signed for {@code host} alone would also carry
 *       {@code x-amz-copy-source} or {@code x-amz-acl});</li>
 *   <li>a presigned URL may only read or write the one object it names: no sub-resources ({@code ?acl},
 *       {@code ?tagging}, {@code ?uploads}, …), no bucket-level requests;</li>
 *   <li>a presigned PUT says its size up front ({@code Content-Length}, as AWS requires), and a size the service
 *       would refuse at confirmation anyway ({@code inlet.upload.max-bytes}) is refused before the body is read,
 *       so nobody can fill the disk through an upload URL they never confirm.</li>
 * </ul>
 */
final class UploadRequestRules {

    /** Query parameters of a presigned URL itself (SigV4 and SigV2), and the SDK's harmless operation marker. */
    private static final Set<String> PRESIGN_PARAMETERS = Set.of(
            "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires", "x-amz-signedheaders",
            "x-amz-signature", "x-amz-security-token", "x-amz-content-sha256", "x-id",
            "awsaccesskeyid", "expires", "signature");
    private static final Set<String> PRESIGNED_METHODS = Set.of("PUT", "GET", "HEAD");

    record Refusal(int status, String code, String message) {
    }

    private UploadRequestRules() {
    }

    /**
     * @param query   the query parameters (first value of each), names as sent
     * @param headers the request headers (first value of each), names as sent
     * @param maxPutBytes the largest body a presigned PUT may have
     */
    static Optional<Refusal> check(String method, String path, Map<String, String> query, Map<String, String> headers,
            long maxPutBytes) {
        if (method.equals("OPTIONS")) {
            return Optional.empty();
        }
        Set<String> params = lower(query.keySet());
        String authorization = first(headers, "authorization");
        boolean presignedV4 = params.contains("x-amz-signature");
        boolean presignedV2 = params.contains("signature") && params.contains("awsaccesskeyid");
        if (authorization == null && !presignedV4 && !presignedV2) {
            return refuse(403, "AccessDenied", "Anonymous access is not allowed: sign the request or use an upload URL");
        }
        if (authorization != null && (presignedV4 || presignedV2)) {
            return refuse(400, "InvalidArgument", "Only one auth mechanism allowed");
        }
        Set<String> signed = signedHeaders(authorization, presignedV4, query);
        if (signed != null) {
            for (String name : headers.keySet()) {
                String lower = name.toLowerCase(Locale.ROOT);
                if (lower.startsWith("x-amz-") && !signed.contains(lower)) {
                    return refuse(403, "AccessDenied",
                            "There were headers present in the request which were not signed: " + lower);
                }
            }
        }
        if (presignedV4 || presignedV2) {
            if (!PRESIGNED_METHODS.contains(method)) {
                return refuse(403, "AccessDenied", "A presigned URL allows only PUT, GET or HEAD of its object");
            }
            for (String param : params) {
                if (!PRESIGN_PARAMETERS.contains(param)) {
                    return refuse(403, "AccessDenied",
                            "A presigned URL cannot carry the sub-resource or parameter '" + param + "'");
                }
            }
            if (!namesAnObject(path)) {
                return refuse(403, "AccessDenied", "A presigned URL must name one object (/bucket/key)");
            }
            if (method.equals("PUT")) {
                return sizeOf(first(headers, "content-length"), first(headers, "transfer-encoding"), maxPutBytes);
            }
        }
        return Optional.empty();
    }

    private static Optional<Refusal> sizeOf(String contentLength, String transferEncoding, long maxPutBytes) {
        if (contentLength == null || transferEncoding != null) {
            return refuse(411, "MissingContentLength", "You must provide the Content-Length HTTP header.");
        }
        long size;
        try {
            size = Long.parseLong(contentLength.trim());
        } catch (NumberFormatException e) {
            return refuse(400, "InvalidArgument", "Content-Length is not a number");
        }
        if (size > maxPutBytes) {
            return refuse(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size: "
                    + maxPutBytes + " bytes (inlet.upload.max-bytes)");
        }
        return Optional.empty();
    }

    /**
     * The headers the signature covers, lower case; null when the scheme signs every {@code x-amz-*} header by
     * construction (SigV2 puts all of them into the string to sign).
     */
    private static Set<String> signedHeaders(String authorization, boolean presignedV4, Map<String, String> query) {
        if (presignedV4) {
            String value = first(query, "x-amz-signedheaders");
            return value == null ? Set.of() : split(value);
        }
        if (authorization != null && authorization.startsWith("AWS4-")) {
            int at = authorization.indexOf("SignedHeaders=");
            if (at < 0) {
                return Set.of();
            }
            int end = authorization.indexOf(',', at);
            return split(authorization.substring(at + "SignedHeaders=".length(), end < 0 ? authorization.length() : end));
        }
        return null;
    }

    private static Set<String> split(String list) {
        Set<String> names = new HashSet<>();
        for (String name : list.split(";")) {
            if (!name.isBlank()) {
                names.add(name.trim().toLowerCase(Locale.ROOT));
            }
        }
        return names;
    }

    private static boolean namesAnObject(String path) {
        String trimmed = path.startsWith("/") ? path.substring(1) : path;
        int slash = trimmed.indexOf('/');
        return slash > 0 && slash < trimmed.length() - 1;
    }

    static String first(Map<String, String> entries, String name) {
        for (Map.Entry<String, String> entry : entries.entrySet()) {
            if (entry.getKey().equalsIgnoreCase(name)) {
                return entry.getValue();
            }
        }
        return null;
    }

    private static Set<String> lower(Set<String> names) {
        Set<String> lower = new HashSet<>();
        for (String name : names) {
            lower.add(name.toLowerCase(Locale.ROOT));
        }
        return lower;
    }

    static Optional<Refusal> refuse(int status, String code, String message) {
        return Optional.of(new Refusal(status, code, message));
    }
}

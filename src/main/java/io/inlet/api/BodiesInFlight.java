package io.inlet.api;

import java.util.HashMap;
import java.util.Map;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/**
 * Bytes of request bodies the API holds in memory at once. Camel's body handler keeps a body whole (up to the body
 * limit) from its first byte until the request is answered, and the parsing budget ({@link ParsingBudget}) only
 * counts a body once it is complete: a few hundred connections of one tenant sending a megabyte each and then
 * waiting held the whole heap. So a request with a key takes what its body may come to at its head, before a byte of
 * the body is read, and gives it back when it is answered or its connection ends; when that is not free it is
 * answered 503 at once (with Retry-After; the body is never read). One tenant holds at most a quarter of the budget
 * (and at least what the largest body may come to), and the last quarter is kept for tenants that hold nothing yet:
 * two or three tenants holding their shares cannot keep every other tenant's requests out.
 */
public final class BodiesInFlight {

    private final long budget;
    private final long share;
    /** What is kept for tenants holding nothing yet. */
    private final long reserve;
    private final long largest;
    private final long inflated;
    private long held;
    private final Map<String, Long> heldBy = new HashMap<>();

    /**
     * @param budget   bytes of bodies held at once; at least eight times the most one body may come to
     * @param largest  the largest body the server reads (camel.server.max-body-size)
     * @param inflated the most a gzip body is inflated to (inlet.upload-json.max-bytes)
     */
    public BodiesInFlight(long budget, long largest, long inflated) {
        long most = largest + inflated;
        if (budget < 8 * most) {
            throw new IllegalArgumentException("inlet.http.body-bytes-in-flight must be at least " + 8 * most
                    + " (eight times camel.server.max-body-size plus inlet.upload-json.max-bytes: a gzip body and what"
                    + " it inflates to), not " + budget);
        }
        this.budget = budget;
        this.largest = largest;
        this.inflated = inflated;
        this.share = Math.max(most, budget / 4);
        this.reserve = Math.max(most, budget / 4);
    }

    /** Whether the request has a body to read (a length over zero, or chunks). */
    public static boolean hasBody(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        return request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null || (length != null && !length.trim().equals("0"));
    }

    /**
     * What a request's body may come to in memory: its length as stated, at most the largest body; the largest when
     * it does not state it (chunked); plus what it may inflate to when it is encoded (a gzip body is inflated whole, up
     * to upload-json's limit, beside its compressed bytes). Nothing for a request without a body.
     */
    public long weightOf(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        long stated;
        if (length != null) {
            try {
                stated = Math.min(Math.max(0, Long.parseLong(length.trim())), largest);
            } catch (NumberFormatException e) {
                stated = largest;
            }
        } else {
            stated = request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null ? largest : 0;
        }
        String encoding = request.getHeader(HttpHeaders.CONTENT_ENCODING);
        boolean encoded = encoding != null && !encoding.isBlank() && !encoding.trim().equalsIgnoreCase("identity");
        return stated == 0 ? 0 : stated + (encoded ? inflated : 0);
    }

    /**
     * Takes {@code bytes} for the tenant if both its share and the budget have them free: null, or why not (for the
     * 503's message).
     */
    public synchronized String take(String tenant, long bytes) {
        long tenantHolds = heldBy.getOrDefault(tenant, 0L);
        if (tenantHolds + bytes > share) {
            return "tenant '" + tenant + "' is sending " + inWords(tenantHolds) + " of request bodies at once, its most ("
                    + inWords(share) + ")";
        }
        if (held + bytes > budget - (tenantHolds == 0 ? 0 : reserve)) {
            return "Inlet is receiving " + inWords(held) + " of request bodies at once, its most ("
                    + inWords(budget) + ")";
        }
        held += bytes;
        heldBy.put(tenant, tenantHolds + bytes);
        return null;
    }

    public synchronized void giveBack(String tenant, long bytes) {
        held -= bytes;
        heldBy.computeIfPresent(tenant, (t, b) -> b - bytes > 0 ? b - bytes : null);
    }

    public synchronized long held() {
        return held;
    }

    private static String inWords(long bytes) {
        return bytes >= (1 << 20) ? String.format("%.1f MiB", bytes / 1048576.0) : bytes + " bytes";
    }
}

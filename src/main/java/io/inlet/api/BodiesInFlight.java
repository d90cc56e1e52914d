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
 * answered 503 at once (with Retry-After; the body is never read). One tenant holds at most half of the budget (and
 * at least one largest body), so the others still get theirs.
 */
public final class BodiesInFlight {

    private final long budget;
    private final long share;
    private final long largest;
    private long held;
    private final Map<String, Long> heldBy = new HashMap<>();

    /**
     * @param budget  bytes of bodies held at once; at least twice the largest body (one that inflates)
     * @param largest the largest body the server reads (camel.server.max-body-size)
     */
    public BodiesInFlight(long budget, long largest) {
        if (budget < 2 * largest) {
            throw new IllegalArgumentException("inlet.http.body-bytes-in-flight must be at least " + 2 * largest
                    + " (twice camel.server.max-body-size: a gzip body and what it inflates to), not " + budget);
        }
        this.budget = budget;
        this.largest = largest;
        this.share = Math.max(2 * largest, budget / 2);
    }

    /**
     * What a request's body may come to in memory: its length as stated, at most the largest body; the largest when
     * it does not state it (chunked); plus the largest again when it is encoded (a gzip body is inflated whole, up to
     * the limit, beside its compressed bytes). Nothing for a request without a body.
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
        return stated == 0 ? 0 : stated + (encoded ? largest : 0);
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
        if (held + bytes > budget) {
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

package io.inlet.limits;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.bucket4j.ConsumptionProbe;
import io.inlet.Settings.Limits.Rates;

/**
 * The headers of a refusal by a tenant's limits: {@code Retry-After} (whole seconds), and {@code RateLimit-Policy} /
 * {@code RateLimit} as draft-ietf-httpapi-ratelimit-headers-10 writes them (Structured Field lists of quoted policy
 * names with parameters). Each bucket is one policy: {@code q} its rate over a window {@code w} of one second, the
 * unit {@code qu} where it is not requests, and its capacity in the vendor parameter {@code inlet-burst}, e.g.
 * <pre>
 * RateLimit-Policy: "requests";q=500;w=1;inlet-burst=1000, "bytes";q=67108864;qu="content-bytes";w=1;inlet-burst=4294967296
 * RateLimit: "requests";r=0;t=1
 * </pre>
 * {@code RateLimit} names the refused policy, with what is left of it ({@code r}) and the seconds until the request
 * would pass ({@code t}, the same moment as Retry-After, as the draft asks).
 */
final class RateLimitHeaders {

    static final String REQUESTS = "requests";
    static final String BYTES = "bytes";
    static final String POLICY = "RateLimit-Policy";
    static final String LIMIT = "RateLimit";
    static final String RETRY_AFTER = "Retry-After";

    private RateLimitHeaders() {
    }

    static String policy(Rates rates) {
        return "\"" + REQUESTS + "\";q=" + rates.requestsPerSecond() + ";w=1;inlet-burst=" + rates.requestsBurst()
                + ", \"" + BYTES + "\";q=" + rates.bytesPerSecond() + ";qu=\"content-bytes\";w=1;inlet-burst="
                + rates.bytesBurst();
    }

    static Map<String, String> refused(Rates rates, String refusedPolicy, ConsumptionProbe probe) {
        long wait = waitSeconds(probe);
        return Map.of(
                RETRY_AFTER, String.valueOf(wait),
                POLICY, policy(rates),
                LIMIT, "\"" + refusedPolicy + "\";r=" + probe.getRemainingTokens() + ";t=" + wait);
    }

    /** Whole seconds until the refused amount is in the bucket: rounded up, and at least one. */
    static long waitSeconds(ConsumptionProbe probe) {
        long nanos = probe.getNanosToWaitForRefill();
        long seconds = TimeUnit.NANOSECONDS.toSeconds(nanos) + (nanos % TimeUnit.SECONDS.toNanos(1) == 0 ? 0 : 1);
        return Math.max(1, seconds);
    }
}

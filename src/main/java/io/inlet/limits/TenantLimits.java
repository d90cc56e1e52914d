package io.inlet.limits;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.inlet.Settings;
import io.inlet.Settings.Limits.Rates;
import io.inlet.api.ApiException;
import io.inlet.api.Sizes;
import io.inlet.tenant.ApiKeyAuth;
import org.apache.camel.Exchange;

/**
 * Per-tenant rate limits as token buckets (Bucket4j, greedy refill): one of requests, taken by every authenticated
 * call, and one of bytes, taken by upload-json bodies and by confirmed files. A tenant's buckets are made when it is
 * first seen, with its own rates where set; they live in this instance's memory, so each instance limits on its
 * own (a limit shared by all instances would need the buckets in a shared store).
 */
public final class TenantLimits {

    private final boolean enabled;
    private final Function<String, Rates> ratesOf;
    private final Map<String, TenantBuckets> buckets = new ConcurrentHashMap<>();

    /** {@code ratesOf}: a tenant's rates (its own where set, the defaults otherwise). */
    public TenantLimits(Settings.Limits settings, Function<String, Rates> ratesOf) {
        this.enabled = settings.enabled();
        this.ratesOf = ratesOf;
    }

    /** Route step after authentication: one request off the tenant's bucket, or 429. */
    public void admitRequest(Exchange exchange) {
        if (!enabled) {
            return;
        }
        String tenant = ApiKeyAuth.tenantOf(exchange);
        TenantBuckets tenantBuckets = bucketsOf(tenant);
        ConsumptionProbe probe = tenantBuckets.requests().tryConsumeAndReturnRemaining(1);
        if (!probe.isConsumed()) {
            Rates rates = tenantBuckets.rates();
            long wait = RateLimitHeaders.waitSeconds(probe);
            throw new ApiException(429, "Too many requests: tenant '" + tenant + "' may make "
                    + rates.requestsPerSecond() + " requests a second (" + rates.requestsBurst() + " at once) on this "
                    + "instance; retry after " + wait + " s", List.of(),
                    RateLimitHeaders.refused(rates, RateLimitHeaders.REQUESTS, probe));
        }
    }

    /** Route step after the body is read: its (decompressed) bytes off the tenant's bucket, or 429 / 413. */
    public void admitBody(Exchange exchange) {
        byte[] body = exchange.getMessage().getBody(byte[].class);
        chargeBytes(ApiKeyAuth.tenantOf(exchange), body == null ? 0 : body.length, "The request body",
                "send smaller batches");
    }

    /**
     * Takes {@code bytes} off the tenant's byte bucket, or refuses: 429 when they will fit after a wait, 413 when
     * they are more than the bucket ever holds (waiting would never help).
     */
    public void chargeBytes(String tenant, long bytes, String what, String remedy) {
        if (!enabled || bytes == 0) {
            return;
        }
        TenantBuckets tenantBuckets = bucketsOf(tenant);
        Rates rates = tenantBuckets.rates();
        if (bytes > rates.bytesBurst()) {
            throw new ApiException(413, what + " is " + Sizes.describe(bytes) + ", more than tenant '" + tenant
                    + "' may send at once (" + Sizes.describe(rates.bytesBurst()) + ", its bytes burst); " + remedy,
                    List.of(), Map.of(RateLimitHeaders.POLICY, RateLimitHeaders.policy(rates)));
        }
        ConsumptionProbe probe = tenantBuckets.bytes().tryConsumeAndReturnRemaining(bytes);
        if (!probe.isConsumed()) {
            long wait = RateLimitHeaders.waitSeconds(probe);
            throw new ApiException(429, "Too many bytes: tenant '" + tenant + "' may send "
                    + Sizes.describe(rates.bytesPerSecond()) + " a second (" + Sizes.describe(rates.bytesBurst())
                    + " at once) on this instance, and " + what.toLowerCase(Locale.ROOT) + " is "
                    + Sizes.describe(bytes) + "; retry after " + wait + " s", List.of(),
                    RateLimitHeaders.refused(rates, RateLimitHeaders.BYTES, probe));
        }
    }

    private TenantBuckets bucketsOf(String tenant) {
        return buckets.computeIfAbsent(tenant, t -> TenantBuckets.of(ratesOf.apply(t)));
    }

    private record TenantBuckets(Rates rates, Bucket requests, Bucket bytes) {

        static TenantBuckets of(Rates rates) {
            return new TenantBuckets(rates,
                    bucket(rates.requestsBurst(), rates.requestsPerSecond()),
                    bucket(rates.bytesBurst(), rates.bytesPerSecond()));
        }

        /** Starts full; refilled continuously (greedy), so a wait is as short as the rate allows. */
        private static Bucket bucket(long capacity, long perSecond) {
            return Bucket.builder()
                    .addLimit(limit -> limit.capacity(capacity).refillGreedy(perSecond, Duration.ofSeconds(1)))
                    .build();
        }
    }
}

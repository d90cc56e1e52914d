package io.inlet.storage;

import java.time.Duration;
import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import software.amazon.awssdk.services.s3.S3Client;

/** Readiness and liveness both depend on S3: without it nothing can be accepted durably. */
public final class S3Health extends AbstractHealthCheck {

    /** The buckets' answers within this, or the check is DOWN: slower than that is no S3 to take data in with. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(4);

    private final S3Client s3;
    private final Buckets buckets;

    public S3Health(S3Client s3, Buckets buckets) {
        super("inlet", "s3");
        this.s3 = s3;
        this.buckets = buckets;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        try {
            // a probe that waits minutes (the client's socket time-out) holds up every probe after it: all buckets'
            // answers within the one bound, shorter than a container health check's time-out
            long deadline = System.nanoTime() + PROBE_TIMEOUT.toNanos();
            for (String bucket : buckets.all()) {
                Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
                s3.headBucket(b -> b.bucket(bucket).overrideConfiguration(o -> o.apiCallTimeout(left)));
            }
            builder.up();
        } catch (RuntimeException e) {
            builder.message("S3 does not answer: " + e.getMessage()).error(e).down();
        }
    }
}

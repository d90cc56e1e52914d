package io.inlet.storage;

import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import software.amazon.awssdk.services.s3.S3Client;

/** Readiness and liveness both depend on S3: without it nothing can be accepted durably. */
public final class S3Health extends AbstractHealthCheck {

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
            for (String bucket : buckets.all()) {
                s3.headBucket(b -> b.bucket(bucket));
            }
            builder.up();
        } catch (RuntimeException e) {
            builder.message("S3 does not answer: " + e.getMessage()).error(e).down();
        }
    }
}

package io.inlet.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.inlet.storage.Buckets;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * Times every call of the service's S3 client, retries included, until the response head (for GetObject: the
 * first byte, not the whole body). Labelled by operation, the bucket's role (landing, inbox, archive, lake) and
 * the HTTP status: never by key or by bucket name, so the number of series stays small.
 */
public final class S3CallTimer implements ExecutionInterceptor {

    static final String NAME = "inlet.s3.request";
    private static final Logger LOG = LoggerFactory.getLogger(S3CallTimer.class);
    private static final ExecutionAttribute<Long> STARTED = new ExecutionAttribute<>("InletS3CallStarted");

    private final MeterRegistry registry;
    private final Map<String, String> roles;
    private volatile boolean failedOnce;

    public S3CallTimer(MeterRegistry registry, Buckets buckets) {
        this.registry = registry;
        // A bucket given two roles is counted under the first.
        Map<String, String> roles = new LinkedHashMap<>();
        roles.putIfAbsent(buckets.landing(), "landing");
        roles.putIfAbsent(buckets.inbox(), "inbox");
        roles.putIfAbsent(buckets.archive(), "archive");
        roles.putIfAbsent(buckets.lake(), "lake");
        this.roles = Map.copyOf(roles);
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        attributes.putAttribute(STARTED, System.nanoTime());
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        record(context.request(), Optional.of(context.httpResponse()), attributes);
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        record(context.request(), context.httpResponse(), attributes);
    }

    private void record(SdkRequest request, Optional<SdkHttpResponse> response, ExecutionAttributes attributes) {
        try {
            Long started = attributes.getAttribute(STARTED);
            if (started == null) {
                return;
            }
            Timer.builder(NAME)
                    .description("S3 calls of the service, until the response head")
                    .tag("operation", String.valueOf(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME)))
                    .tag("bucket", roleOf(request))
                    .tag("status", response.map(r -> String.valueOf(r.statusCode())).orElse("none"))
                    .register(registry)
                    .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) {
            // A meter must never fail an S3 call.
            if (!failedOnce) {
                failedOnce = true;
                LOG.warn("S3 calls cannot be timed ({}); they go on untimed", e.toString());
            }
        }
    }

    /** CopyObject is counted against the bucket it writes to. */
    private String roleOf(SdkRequest request) {
        String bucket = request.getValueForField("DestinationBucket", String.class)
                .or(() -> request.getValueForField("Bucket", String.class))
                .orElse(null);
        return bucket == null ? "none" : roles.getOrDefault(bucket, "other");
    }
}

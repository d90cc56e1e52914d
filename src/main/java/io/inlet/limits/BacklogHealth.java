package io.inlet.limits;

import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * The backlog in the health report: always UP, with {@code degraded} true while uploads are refused for it. An
 * overloaded instance is still the right place for status queries and upload URLs, and the backlog is shared by all
 * instances: taking this one out of a load balancer would not shorten it.
 */
public final class BacklogHealth extends AbstractHealthCheck {

    private final Backlog backlog;

    public BacklogHealth(Backlog backlog) {
        super("inlet", "backlog");
        this.backlog = backlog;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        Backlog.Reading reading = backlog.reading();
        builder.detail("degraded", reading.excess().isPresent());
        reading.figures().ifPresent(figures -> {
            builder.detail("backlog_files", figures.files());
            builder.detail("backlog_files_capped", figures.capped());
            builder.detail("backlog_bytes", figures.bytes());
            figures.oldestAge().ifPresent(age -> builder.detail("backlog_oldest_seconds", age.toSeconds()));
            builder.detail("backlog_listed_at", figures.listedAt().toString());
        });
        reading.excess().ifPresent(excess -> builder.message("degraded: " + excess));
        reading.failure().ifPresent(failure -> builder.message("backlog unknown: " + failure));
        builder.up();
    }
}

package io.inlet.metrics;

import java.time.Duration;

import org.apache.camel.builder.RouteBuilder;

/** The queue-depth probe's timer: once a second after start, then every {@code inlet.metrics.queue-depth-interval}. */
public final class BacklogProbeRoute extends RouteBuilder {

    private final Duration interval;

    public BacklogProbeRoute(Duration interval) {
        this.interval = interval;
    }

    @Override
    public void configure() {
        from("timer:queue-depth-probe?delay=1000&period=" + Math.max(1000, interval.toMillis()))
                .routeId("queue-depth-probe")
                .bean("backlogProbe", "probe");
    }
}

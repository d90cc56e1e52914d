package io.inlet.metrics;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

import io.inlet.limits.Backlog;
import io.inlet.limits.BacklogFigures;
import io.inlet.queue.WorkQueue;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far behind the pipeline is, never computed at a scrape. The inbox figures are those of the backlog's own
 * listing (routes/backlog-check, every {@code inlet.overload.check-interval}, stopping past four times
 * {@code inlet.overload.max-backlog-files}: {@code inlet_backlog_scan_truncated} then says the figures are lower
 * bounds), so the inbox is listed once for health, overload and metrics. The queue is asked for its approximate
 * depth every {@code inlet.metrics.queue-depth-interval}. Every instance looks at the same inbox and queue, so
 * across instances take the max, not the sum.
 *
 * <p>A look that fails (S3 or the queue away) keeps the last figures and sets the target's
 * {@code inlet_backlog_probe_up} to 0; the queue's failure is said once in the log (the inbox's by the backlog).
 */
public final class BacklogProbe {

    private static final Logger LOG = LoggerFactory.getLogger(BacklogProbe.class);

    private final Backlog backlog;
    private final WorkQueue queue;

    private final AtomicLong queueVisible = new AtomicLong();
    private final AtomicLong queueInFlight = new AtomicLong();
    private final AtomicLong queueUp = new AtomicLong();
    private boolean queueReportedDown;

    public BacklogProbe(MeterRegistry registry, Backlog backlog, WorkQueue queue) {
        this.backlog = backlog;
        this.queue = queue;
        inboxGauge(registry, "inlet.backlog.objects", "Files in the inbox, waiting or being processed",
                BacklogFigures::files);
        inboxGauge(registry, "inlet.backlog.bytes", "Bytes of the files in the inbox", BacklogFigures::bytes);
        inboxGauge(registry, "inlet.backlog.scan.truncated",
                "1 when the inbox held more files than the listing counts: backlog and lag are lower bounds",
                figures -> figures.capped() ? 1 : 0);
        Gauge.builder("inlet.processing.lag", this, BacklogProbe::lagSeconds).baseUnit("seconds")
                .description("Age of the oldest file in the inbox (0 when it is empty)").register(registry);
        Gauge.builder("inlet.queue.messages", queueVisible, AtomicLong::get).tag("state", "visible")
                .description("Approximate number of messages on the work queue").register(registry);
        Gauge.builder("inlet.queue.messages", queueInFlight, AtomicLong::get).tag("state", "in_flight")
                .description("Approximate number of messages on the work queue").register(registry);
        Gauge.builder("inlet.queue.held", queue, WorkQueue::heldCount)
                .description("Messages this instance received and keeps invisible until their batch is sealed")
                .register(registry);
        Gauge.builder("inlet.backlog.probe.up", backlog, BacklogProbe::inboxUp).tag("target", "inbox")
                .description("1 when the last look at the target succeeded").register(registry);
        Gauge.builder("inlet.backlog.probe.up", queueUp, AtomicLong::get).tag("target", "queue")
                .description("1 when the last look at the target succeeded").register(registry);
    }

    private void inboxGauge(MeterRegistry registry, String name, String description,
            ToDoubleFunction<BacklogFigures> value) {
        Gauge.builder(name, backlog, b -> b.lastListed().map(value::applyAsDouble).orElse(0.0))
                .description(description).register(registry);
    }

    private static double inboxUp(Backlog backlog) {
        return backlog.reading().figures().isPresent() ? 1 : 0;
    }

    /** One look at the queue's depth; never throws. */
    public synchronized void probe() {
        try {
            WorkQueue.Depth depth = queue.depth();
            queueVisible.set(depth.visible());
            queueInFlight.set(depth.inFlight());
            queueUp.set(1);
            if (queueReportedDown) {
                queueReportedDown = false;
                LOG.info("Backlog probe: the work queue answers again");
            }
        } catch (RuntimeException e) {
            queueUp.set(0);
            if (!queueReportedDown) {
                queueReportedDown = true;
                LOG.warn("Backlog probe could not ask the work queue for its depth ({}); inlet_queue_messages keeps its "
                        + "last values until it answers again", e.toString());
            }
        }
    }

    /**
     * The oldest file's age by S3's clock at the last listing (the files are dated by it; this instance's clock may be
     * skewed), plus the time since that listing by this process's own monotonic clock: it keeps growing while the
     * listings fail or are spaced out.
     */
    private double lagSeconds() {
        Optional<BacklogFigures> figures = backlog.lastListed();
        return figures.flatMap(f -> f.oldest().map(oldest -> Math.max(0,
                Duration.between(oldest, f.listedAt()).plus(backlog.sinceLastListed()).toMillis() / 1000.0)))
                .orElse(0.0);
    }
}

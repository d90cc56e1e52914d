package io.inlet.metrics;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.inlet.queue.WorkQueue;
import io.inlet.storage.FileKey;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * How far behind the pipeline is, looked at every {@code inlet.metrics.backlog-interval} rather than at each
 * scrape: the inbox (everything in it is still to be processed) is listed up to {@code backlog-scan-limit}
 * objects, and the queue asked for its approximate depth. Beyond the limit the inbox figures are lower bounds
 * and {@code inlet_backlog_scan_truncated} says so. Every instance probes the same inbox and queue, so across
 * instances take the max, not the sum.
 *
 * <p>A probe that fails (S3 or the queue away) keeps the last figures, sets the target's
 * {@code inlet_backlog_probe_up} to 0, says so once in the log and tries again next time.
 */
public final class BacklogProbe {

    private static final Logger LOG = LoggerFactory.getLogger(BacklogProbe.class);

    private final S3Client s3;
    private final String inboxBucket;
    private final WorkQueue queue;
    private final int scanLimit;
    private final Clock clock;

    private final AtomicLong objects = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong truncated = new AtomicLong();
    /** Last-modified time of the oldest object in the inbox; null when it was empty. */
    private final AtomicReference<Instant> oldest = new AtomicReference<>();
    private final AtomicLong queueVisible = new AtomicLong();
    private final AtomicLong queueInFlight = new AtomicLong();
    private final Target inbox = new Target("the inbox bucket");
    private final Target workQueue = new Target("the work queue");

    public BacklogProbe(MeterRegistry registry, S3Client s3, String inboxBucket, WorkQueue queue, int scanLimit,
            Clock clock) {
        this.s3 = s3;
        this.inboxBucket = inboxBucket;
        this.queue = queue;
        this.scanLimit = scanLimit;
        this.clock = clock;
        Gauge.builder("inlet.backlog.objects", objects, AtomicLong::get)
                .description("Files in the inbox, waiting or being processed").register(registry);
        Gauge.builder("inlet.backlog.bytes", bytes, AtomicLong::get)
                .description("Bytes of the files in the inbox").register(registry);
        Gauge.builder("inlet.backlog.scan.truncated", truncated, AtomicLong::get)
                .description("1 when the inbox held more files than the probe lists: backlog and lag are lower bounds")
                .register(registry);
        Gauge.builder("inlet.processing.lag", this, BacklogProbe::lagSeconds).baseUnit("seconds")
                .description("Age of the oldest file in the inbox (0 when it is empty)").register(registry);
        Gauge.builder("inlet.queue.messages", queueVisible, AtomicLong::get).tag("state", "visible")
                .description("Approximate number of messages on the work queue").register(registry);
        Gauge.builder("inlet.queue.messages", queueInFlight, AtomicLong::get).tag("state", "in_flight")
                .description("Approximate number of messages on the work queue").register(registry);
        Gauge.builder("inlet.backlog.probe.up", inbox.up, AtomicLong::get).tag("target", "inbox")
                .description("1 when the last look at the target succeeded").register(registry);
        Gauge.builder("inlet.backlog.probe.up", workQueue.up, AtomicLong::get).tag("target", "queue")
                .description("1 when the last look at the target succeeded").register(registry);
    }

    /** One look at the inbox and the queue; never throws. */
    public synchronized void probe() {
        probeInbox();
        probeQueue();
    }

    private void probeInbox() {
        try {
            long count = 0;
            long size = 0;
            Instant first = null;
            boolean cut = false;
            for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(inboxBucket).maxKeys(Math.min(1000, scanLimit)))
                    .contents()) {
                // Objects not named as file keys are never processed (the reconciliation reports them): not backlog.
                if (FileKey.parse(object.key()).isEmpty()) {
                    continue;
                }
                if (count == scanLimit) {
                    cut = true;
                    break;
                }
                count++;
                size += object.size() == null ? 0 : object.size();
                if (first == null || object.lastModified().isBefore(first)) {
                    first = object.lastModified();
                }
            }
            objects.set(count);
            bytes.set(size);
            truncated.set(cut ? 1 : 0);
            oldest.set(first);
            inbox.answered();
        } catch (RuntimeException e) {
            inbox.failed(e);
        }
    }

    private void probeQueue() {
        try {
            Map<QueueAttributeName, String> attributes = queue.client().getQueueAttributes(b -> b.queueUrl(queue.url())
                    .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                            QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).attributes();
            queueVisible.set(Long.parseLong(attributes.getOrDefault(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES, "0")));
            queueInFlight.set(Long.parseLong(
                    attributes.getOrDefault(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE, "0")));
            workQueue.answered();
        } catch (RuntimeException e) {
            workQueue.failed(e);
        }
    }

    private double lagSeconds() {
        Instant first = oldest.get();
        return first == null ? 0 : Math.max(0, Duration.between(first, clock.instant()).toMillis() / 1000.0);
    }

    /** What is probed: up or not, and said once in the log when it stops answering and once when it is back. */
    private static final class Target {
        final AtomicLong up = new AtomicLong();
        private final String name;
        private boolean reportedDown;

        Target(String name) {
            this.name = name;
        }

        void answered() {
            up.set(1);
            if (reportedDown) {
                reportedDown = false;
                LOG.info("Backlog probe: {} answers again", name);
            }
        }

        void failed(RuntimeException e) {
            up.set(0);
            if (!reportedDown) {
                reportedDown = true;
                LOG.warn("Backlog probe could not look at {} ({}); the backlog metrics keep their last values until it "
                        + "answers again", name, e.toString());
            }
        }
    }
}

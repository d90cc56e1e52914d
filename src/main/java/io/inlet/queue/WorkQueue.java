package io.inlet.queue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.inlet.Settings;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * The work queue as the service uses it besides consuming it: announcing inbox objects, and acknowledging
 * (deleting) messages once the files they announce are claimed by a sealed batch.
 *
 * <p>Announcements of the service's own writes are sent in the background, ten to a SendMessageBatch call, so an
 * upload is acknowledged to its sender as soon as it is durable in S3, whatever the queue does. A message that
 * cannot be sent (queue unreachable, buffer full) is dropped with a warning: the file is in the inbox, and the
 * next reconciliation finds it.
 */
public final class WorkQueue extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(WorkQueue.class);
    private static final int SQS_BATCH = 10;

    private final SqsClient sqs;
    private final String url;
    private final InboxEvents events;
    private final boolean announceWrites;
    private final BlockingQueue<InboxFile> outgoing = new ArrayBlockingQueue<>(20_000);
    private final AtomicLong dropped = new AtomicLong();
    private final List<Thread> senders = new ArrayList<>();
    private final ExecutorService bulkSenders = Executors.newFixedThreadPool(8, runnable -> {
        Thread thread = new Thread(runnable, "inlet-queue-bulk-sender");
        thread.setDaemon(true);
        return thread;
    });
    /** Messages received and waiting for their batch to be sealed: receipt handle → when held (System.nanoTime). */
    private final Map<String, Long> held = new ConcurrentHashMap<>();
    private final Duration visibilityTimeout;
    private final Supplier<String> recreate;
    private Thread keeper;
    private volatile boolean running;
    private volatile boolean unreachable;
    private volatile boolean keepingFailed;

    /**
     * @param visibilityTimeout how long a received message stays invisible; messages held for a batch are kept
     *                          invisible by renewing it
     */
    public WorkQueue(SqsClient sqs, String url, InboxEvents events, boolean announceWrites, Duration visibilityTimeout) {
        this(sqs, url, events, announceWrites, visibilityTimeout, null);
    }

    /**
     * @param recreate makes the queue again when it is gone (null: the queue is the operator's, by URL): what
     *                 {@link #resolveUrl} does for a queue the service made by name
     */
    public WorkQueue(SqsClient sqs, String url, InboxEvents events, boolean announceWrites, Duration visibilityTimeout,
            Supplier<String> recreate) {
        this.sqs = sqs;
        this.url = url;
        this.events = events;
        this.announceWrites = announceWrites;
        this.visibilityTimeout = visibilityTimeout;
        this.recreate = recreate;
    }

    /**
     * A call to the queue; when the queue is gone and the service made it by name, it is made again first and the
     * call made once more. An in-memory queue server restarted (the embedded one of a {@code storage} process)
     * comes back without the queue: without this, every instance's consumer, announcements and reconciliation
     * failed until the instance itself was restarted. What the lost messages announced is found by the inbox
     * reconciliation.
     */
    private <T> T onQueue(Supplier<T> call) {
        try {
            return call.get();
        } catch (QueueDoesNotExistException gone) {
            if (recreate == null) {
                throw gone;
            }
            synchronized (this) {
                String made = recreate.get();
                LOG.warn("The queue {} was gone (its server restarted without it, or it was deleted): made it again"
                        + "{}; the inbox reconciliation announces what the lost messages did", url,
                        made.equals(url) ? "" : " as " + made + ", which is not the URL the consumers use: restart");
            }
            return call.get();
        }
    }

    /** The SQS client for {@code inlet.queue.*}: embedded server, an SQS-compatible endpoint, or AWS SQS. */
    public static SqsClient client(Settings.Queue settings, URI embeddedEndpoint) {
        AwsCredentialsProvider credentials;
        if (settings.accessKey().isPresent() && settings.secretKey().isPresent()) {
            credentials = StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(settings.accessKey().get(), settings.secretKey().get()));
        } else if (embeddedEndpoint != null) {
            // The embedded server checks no signature; it only has to be well formed.
            credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("inlet", "inlet"));
        } else {
            credentials = DefaultCredentialsProvider.builder().build();
        }
        var builder = SqsClient.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .httpClientBuilder(ApacheHttpClient.builder()
                        .maxConnections(64)
                        .connectionTimeout(Duration.ofSeconds(5))
                        // Long polls wait up to 20 s for a message.
                        .socketTimeout(Duration.ofSeconds(30)));
        if (embeddedEndpoint != null) {
            builder.endpointOverride(embeddedEndpoint);
        } else if (settings.endpoint().isPresent()) {
            builder.endpointOverride(URI.create(settings.endpoint().get()));
        }
        return builder.build();
    }

    /** The queue URL: as configured, or looked up by name (and the queue created when missing). */
    public static String resolveUrl(SqsClient sqs, Settings.Queue settings) {
        if (settings.url().isPresent()) {
            return settings.url().get();
        }
        try {
            return sqs.getQueueUrl(b -> b.queueName(settings.name())).queueUrl();
        } catch (QueueDoesNotExistException e) {
            LOG.info("Creating queue {}", settings.name());
            return sqs.createQueue(b -> b.queueName(settings.name()).attributesWithStrings(java.util.Map.of(
                    QueueAttributeName.VISIBILITY_TIMEOUT.toString(), String.valueOf(settings.visibilityTimeoutSeconds()),
                    // Four days, as SQS does by default: long enough for any outage of the consumers.
                    QueueAttributeName.MESSAGE_RETENTION_PERIOD.toString(), "345600"))).queueUrl();
        }
    }

    public String url() {
        return url;
    }

    public SqsClient client() {
        return sqs;
    }

    /** Called after the service's own durable write into the inbox; never blocks, never fails the caller. */
    public void announce(InboxFile file) {
        if (!announceWrites) {
            return;
        }
        if (!outgoing.offer(file)) {
            long n = dropped.incrementAndGet();
            if (n == 1 || n % 1000 == 0) {
                LOG.warn("{} announcement(s) not sent (the queue is not keeping up); the inbox reconciliation will find them", n);
            }
        }
    }

    /**
     * Sends announcements now, ten to a call and up to eight calls at once (a reconciliation after an outage may
     * announce many thousands); throws when the queue cannot be reached.
     */
    public void send(List<InboxFile> files) {
        List<CompletableFuture<Void>> calls = new ArrayList<>();
        for (List<InboxFile> slice : inCalls(files)) {
            calls.add(CompletableFuture.runAsync(() -> sendBatch(slice), bulkSenders));
        }
        try {
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private void sendBatch(List<InboxFile> slice) {
        List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
        for (int i = 0; i < slice.size(); i++) {
            entries.add(SendMessageBatchRequestEntry.builder().id(String.valueOf(i))
                    .messageBody(events.announce(slice.get(i))).build());
        }
        var response = onQueue(() -> sqs.sendMessageBatch(b -> b.queueUrl(url).entries(entries)));
        if (!response.failed().isEmpty()) {
            throw new IllegalStateException("the queue refused " + response.failed().size() + " message(s): "
                    + response.failed().get(0).message());
        }
    }

    /**
     * A received message waits for the batch its files go into: it is kept invisible (its visibility timeout renewed)
     * until {@link #acknowledge}d or {@link #letGo}, so a backlog waiting in this instance is not delivered again to
     * be planned twice. Held for more than ten visibility timeouts, it is let go (a batch that never came).
     */
    public void hold(String receiptHandle) {
        held.put(receiptHandle, System.nanoTime());
    }

    /** No longer kept invisible: delivered again once its visibility timeout runs out (its batch was not sealed). */
    public void letGo(Collection<String> receiptHandles) {
        receiptHandles.forEach(held::remove);
    }

    /**
     * The visibility timeout to keep held messages invisible with: the configured one, or the queue's own when that
     * is shorter (a queue created elsewhere), which would let messages come back before their first renewal.
     */
    public static Duration visibilityTimeout(SqsClient sqs, String url, int configuredSeconds) {
        try {
            String own = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.VISIBILITY_TIMEOUT))
                    .attributes().get(QueueAttributeName.VISIBILITY_TIMEOUT);
            if (own != null && Integer.parseInt(own) < configuredSeconds) {
                LOG.warn("The queue's visibility timeout is {} s, shorter than inlet.queue.visibility-timeout-seconds "
                        + "({} s); messages waiting for their batch are kept invisible by {} s at a time", own,
                        configuredSeconds, own);
                return Duration.ofSeconds(Math.max(1, Integer.parseInt(own)));
            }
        } catch (SdkException | NumberFormatException e) {
            LOG.warn("Could not read the queue's visibility timeout ({}); taking inlet.queue.visibility-timeout-seconds, "
                    + "{} s", e.getMessage(), configuredSeconds);
        }
        return Duration.ofSeconds(configuredSeconds);
    }

    /** Messages on the queue (SQS's approximate counts): waiting, received and not yet deleted, delayed. */
    public record Depth(long visible, long inFlight, long delayed) {
        public long total() {
            return visible + inFlight + delayed;
        }
    }

    /** The queue's depth now; throws when the queue cannot be reached. */
    public Depth depth() {
        Map<QueueAttributeName, String> attributes = onQueue(() -> sqs.getQueueAttributes(b -> b.queueUrl(url)
                .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE,
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED)).attributes());
        return new Depth(count(attributes, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES),
                count(attributes, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE),
                count(attributes, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED));
    }

    private static long count(Map<QueueAttributeName, String> attributes, QueueAttributeName name) {
        return Long.parseLong(attributes.getOrDefault(name, "0"));
    }

    /** Slices of at most ten: what one SQS batch call takes. */
    private static <T> List<List<T>> inCalls(List<T> items) {
        List<List<T>> calls = new ArrayList<>();
        for (int from = 0; from < items.size(); from += SQS_BATCH) {
            calls.add(items.subList(from, Math.min(items.size(), from + SQS_BATCH)));
        }
        return calls;
    }

    /** Messages held now ({@code inlet_queue_held}). */
    public int heldCount() {
        return held.size();
    }

    /** Deletes messages by their receipt handles, ten to a call. A message already gone is no error. */
    public void acknowledge(List<String> receiptHandles) {
        // not renewed from now on, whatever the delete does: one that fails comes back and is skipped then
        letGo(receiptHandles);
        for (List<String> slice : inCalls(receiptHandles)) {
            List<DeleteMessageBatchRequestEntry> entries = new ArrayList<>();
            for (int i = 0; i < slice.size(); i++) {
                entries.add(DeleteMessageBatchRequestEntry.builder().id(String.valueOf(i)).receiptHandle(slice.get(i)).build());
            }
            onQueue(() -> sqs.deleteMessageBatch(b -> b.queueUrl(url).entries(entries)));
        }
    }

    @Override
    protected void doStart() {
        running = true;
        for (int i = 0; i < 2; i++) {
            Thread sender = new Thread(this::sendLoop, "inlet-queue-announcer-" + i);
            sender.setDaemon(true);
            sender.start();
            senders.add(sender);
        }
        keeper = new Thread(this::keepLoop, "inlet-queue-visibility");
        keeper.setDaemon(true);
        keeper.start();
    }

    @Override
    protected void doStop() throws InterruptedException {
        running = false;
        for (Thread sender : senders) {
            sender.join(5_000);
        }
        keeper.interrupt();
        keeper.join(5_000);
        bulkSenders.shutdownNow();
        sqs.close();
    }

    private void sendLoop() {
        List<InboxFile> batch = new ArrayList<>(SQS_BATCH);
        while (running || !outgoing.isEmpty()) {
            try {
                InboxFile first = outgoing.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.clear();
                batch.add(first);
                outgoing.drainTo(batch, SQS_BATCH - 1);
                sendBatch(batch);
                if (unreachable) {
                    unreachable = false;
                    LOG.info("The queue answers again");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (SdkException | IllegalStateException e) {
                if (!unreachable) {
                    unreachable = true;
                    LOG.warn("Could not announce {} inbox file(s) on the queue ({}); the inbox reconciliation will find "
                            + "them", batch.size(), e.getMessage());
                }
            }
        }
    }

    /** Every third of the visibility timeout: the held messages get a whole timeout again. */
    private void keepLoop() {
        long period = Math.max(250, visibilityTimeout.toMillis() / 3);
        while (running) {
            try {
                Thread.sleep(period);
                keepHeld();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void keepHeld() {
        long now = System.nanoTime();
        long longest = visibilityTimeout.multipliedBy(10).toNanos();
        List<String> renew = new ArrayList<>();
        List<String> expired = new ArrayList<>();
        held.forEach((handle, since) -> (now - since > longest ? expired : renew).add(handle));
        if (!expired.isEmpty()) {
            letGo(expired);
            LOG.warn("{} queue message(s) waited {} for their batch; let go, to be delivered again", expired.size(),
                    visibilityTimeout.multipliedBy(10));
        }
        int seconds = Math.toIntExact(visibilityTimeout.toSeconds());
        for (List<String> slice : inCalls(renew)) {
            List<ChangeMessageVisibilityBatchRequestEntry> entries = new ArrayList<>();
            for (int i = 0; i < slice.size(); i++) {
                entries.add(ChangeMessageVisibilityBatchRequestEntry.builder().id(String.valueOf(i))
                        .receiptHandle(slice.get(i)).visibilityTimeout(seconds).build());
            }
            try {
                var response = onQueue(() -> sqs.changeMessageVisibilityBatch(b -> b.queueUrl(url).entries(entries)));
                // refused: deleted meanwhile, or its receipt handle no longer valid; either way nothing to keep
                response.failed().forEach(f -> held.remove(slice.get(Integer.parseInt(f.id()))));
                keepingFailed = false;
            } catch (SdkException e) {
                if (!keepingFailed) {
                    keepingFailed = true;
                    LOG.warn("Could not keep {} received message(s) invisible ({}); they may be delivered again and "
                            + "are skipped then", renew.size(), e.getMessage());
                }
                return;
            }
        }
    }
}

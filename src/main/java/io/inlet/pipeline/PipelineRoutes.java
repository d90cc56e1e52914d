package io.inlet.pipeline;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.inlet.Settings;
import io.inlet.storage.Buckets;
import io.inlet.storage.FileKey;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * The inbox → lake pipeline, as routes:
 *
 * <pre>
 * inbox-queue:     SQS message → the inbox files it announces → gathered per tenant (count, bytes, window;
 *                  a large file alone) → small-batches / large-batches
 * batch-sweep:     batches to retry or take over (their manifests) → small-batches / large-batches
 * process-batch:   claim + seal (manifest, then ack) → read, gunzip, check, write parts → statuses → archive
 *                  → claims released → manifest deleted
 * inbox-reconciliation, instance-heartbeat: the timers that keep the queue and the leases honest
 * </pre>
 *
 * Large files have their own workers, at most all but one of {@code inlet.pipeline.workers}, so small batches
 * of other tenants never wait behind a 2 GB file. Both lanes take batches tenant by tenant in turn
 * ({@link LargeFileTurns}, {@link SmallBatchTurns}), and no tenant has every small-batch worker.
 */
public final class PipelineRoutes extends RouteBuilder {

    private final Settings settings;
    private final String queueUrl;

    public PipelineRoutes(Settings settings, String queueUrl) {
        this.settings = settings;
        this.queueUrl = queueUrl;
    }

    @Override
    public void configure() {
        Settings.Pipeline pipeline = settings.pipeline();
        Settings.Queue queue = settings.queue();
        // Small batches are taken tenant by tenant in turn, no tenant having every worker, and a sender never waits
        // (SmallBatchTurns). What waits is bounded where messages are received: as many files, and bytes, as fill a
        // batch for each worker, no more (ReceiveWhileSmallLaneHasRoom).
        SmallBatchTurns smallLane = new SmallBatchTurns(pipeline.smallBatchWorkers(), pipeline.maxSourcesPerBatch(),
                pipeline.maxBatchBytes(), PipelineRoutes::tenantOfBatch, PipelineRoutes::gatheredOf,
                announced -> getContext().getRegistry().lookupByNameAndType("batchPlanner", BatchPlanner.class)
                        .release(announced));
        getContext().getRegistry().bind("smallBatchTurns", smallLane);
        getContext().getRegistry().bind("receiveWhileSmallLaneHasRoom", new ReceiveWhileSmallLaneHasRoom(smallLane));
        // An idle worker wakes every pollTimeout to see whether it should stop: a stop (every restart, every test)
        // waited a whole second per queue at the default.
        String small = "seda:small-batches?queue=#smallBatchTurns&pollTimeout=200";
        // Large files are taken tenant by tenant in turn, not first come first served, and a sender never waits
        // (LargeFileTurns).
        getContext().getRegistry().bind("largeFileTurns",
                new LargeFileTurns(LARGE_FILES_WAITING, PipelineRoutes::tenantOfBatch, PipelineRoutes::announcedFileOf,
                        PipelineRoutes::announcedAgain));
        String large = "seda:large-batches?queue=#largeFileTurns&pollTimeout=200";

        // Messages are acknowledged by the planner once their files are in a sealed batch, not when read.
        // Long polls (inlet.queue.receive-wait-seconds): an idle consumer costs one request per wait, and a stop
        // waits for the poll under way. No poll while the small lane is full (pollStrategy).
        from("aws2-sqs://" + queue.name() + "?amazonSQSClient=#sqsClient&queueUrl=RAW(" + queueUrl + ")"
                + "&deleteAfterRead=false&autoCreateQueue=false&maxMessagesPerPoll=10"
                + "&waitTimeSeconds=" + queue.receiveWaitSeconds()
                + "&greedy=true&delay=200&concurrentConsumers=" + queue.consumers()
                + "&backoffErrorThreshold=3&backoffMultiplier=10&pollStrategy=#receiveWhileSmallLaneHasRoom")
                .routeId("inbox-queue")
                .bean("batchPlanner", "announced")
                .split(body())
                    // full by distinct files, not announcements: a file is often announced twice (its S3 event
                    // notification and the service's own message, or the reconciliation's)
                    .aggregate(method("batchPlanner", "batchKey"), new SmallFilesTogether(pipeline))
                        .completionPredicate(exchangeProperty(SmallFilesTogether.FULL).isEqualTo(true))
                        // Every window, whatever is gathered goes: a file waits at most one window however busy
                        // the tenant (an inactivity timeout would hold a steady stream until the batch is full).
                        .completionInterval(pipeline.batchWindow().toMillis())
                        .choice()
                            .when(exchangeProperty(SmallFilesTogether.LARGE).isEqualTo(true)).to(large)
                            .otherwise().to(small)
                        .end()
                    .end()
                .end();

        from("timer:batch-sweep?delay=500&period=" + pipeline.sweepInterval().toMillis())
                .routeId("batch-sweep")
                .bean("batchSweep", "due")
                .split(body())
                    .choice()
                        .when(method("batchPlanner", "isLargeBatch")).to(large)
                        .otherwise().to(small)
                    .end()
                .end();

        from(small + "&concurrentConsumers=" + pipeline.smallBatchWorkers())
                .routeId("small-batches")
                .setProperty(BatchRun.SMALL_LANE, constant(true))
                .to("direct:process-batch");
        from(large + "&concurrentConsumers=" + largeBatchWorkers(pipeline))
                .routeId("large-batches")
                .setProperty(BatchRun.SMALL_LANE, constant(false))
                .to("direct:process-batch");

        from("direct:process-batch")
                .routeId("process-batch")
                .routeConfigurationId("pipeline-errors")
                // claims, then the manifest, then the queue messages acknowledged
                .bean("batchPlanner", "seal")
                .filter(body().isNotNull())
                    .setProperty(BatchFailures.MANIFEST, body())
                    .setProperty(BatchRun.PROPERTY, method("batchSteps", "start"))
                    // a file that cannot be read fails alone: the batch runs again without it
                    .loopDoWhile(method("batchSteps", "needsAttempt"))
                        .to("direct:run-batch")
                    .end()
                    .choice()
                        // a small batch with a file that inflates far beyond its size: the rest is large-file work
                        .when(method("batchSteps", "movesToLargeLane"))
                            .setBody(method("batchSteps", "toLargeLane"))
                            // it waits as its manifest only: not holding this run's state (files read ahead)
                            .removeProperties("inlet*")
                            .removeProperty(Exchange.EXCEPTION_CAUGHT)
                            .to(large)
                        .otherwise()
                            .setBody(method("batchSteps", "outcome"))
                            // completed / completed_with_errors / failed, with counts, reasons and lake keys
                            .bean("batchCommit", "recordStatuses")
                            // inbox -> archive side by side, inbox copies deleted a thousand at a time, claims released
                            .bean("batchCommit", "archive")
                            .bean("batchCommit", "finish")
                    .end()
                .end();

        // One attempt: every file in manifest order into the lake writer; all output durable at the end.
        from("direct:run-batch")
                .routeId("run-batch")
                .errorHandler(noErrorHandler()) // failures go back to process-batch, whose pipeline-errors decide
                .doTry()
                    .bean("batchSteps", "open")
                    .split(method("batchSteps", "sources")).streaming().stopOnException()
                        .to("direct:read-source")
                    .endDoTry()
                    .bean("batchSteps", "complete")
                .doCatch(OutgrewSmallLane.class)
                    .bean("batchSteps", "outgrewLane")
                .doCatch(Exception.class)
                    // S3 or the disk failed, not a file: handed back to process-batch's error handling as is
                    .bean("batchSteps", "failAttempt")
                .doFinally()
                    .bean("batchSteps", "closeAttempt")
                .end();

        // One file: S3 object -> JSONL (gunzipped as it streams) -> chunks of lines, checked side by side ->
        // written to the lake in file order.
        from("direct:read-source")
                .routeId("read-source")
                .errorHandler(noErrorHandler())
                .noStreamCaching() // a 2 GB object is read once, as it arrives, never spooled
                .doTry()
                    .bean("batchSteps", "beginSource")
                    .filter(body().isNull())
                        .to("direct:get-source")
                    .end()
                    .unmarshal(new JsonlContent())
                    .bean("batchSteps", "startReading")
                    .split(body()).streaming().parallelProcessing().synchronous().stopOnException()
                            .executorService("recordChecks").aggregationStrategy(new InFileOrder())
                        .bean("batchSteps", "check")
                    .endDoTry()
                    .bean("batchSteps", "endSource")
                .doCatch(SourceFailure.class)
                    .bean("batchSteps", "sourceFailed")
                .doFinally()
                    .bean("batchSteps", "closeSource")
                .end();

        // The object as a stream; from the archive when an earlier attempt of the batch already moved it there.
        from("direct:get-source")
                .routeId("get-source")
                .errorHandler(noErrorHandler())
                .noStreamCaching()
                .doTry()
                    .to(s3GetObject(Buckets.of(settings).inbox()))
                    .bean("batchSteps", "resumable(${body}, '" + Buckets.of(settings).inbox() + "', ${header.CamelAwsS3Key})")
                .doCatch(NoSuchKeyException.class)
                    .to("direct:get-archived-source")
                .end();
        from("direct:get-archived-source")
                .routeId("get-archived-source")
                .errorHandler(noErrorHandler())
                .noStreamCaching()
                .doTry()
                    .to(s3GetObject(Buckets.of(settings).archive()))
                    .bean("batchSteps", "resumable(${body}, '" + Buckets.of(settings).archive() + "', ${header.CamelAwsS3Key})")
                .doCatch(NoSuchKeyException.class)
                    .throwException(SourceFailure.class, "the file disappeared from the inbox bucket before it was processed")
                .end();

        from("timer:instance-heartbeat?delay=0&period=" + Math.max(1000, pipeline.leaseTimeout().toMillis() / 3))
                .routeId("instance-heartbeat")
                .bean("batchSweep", "heartbeat");

        from("timer:inbox-reconciliation?delay=1000&period=" + queue.reconcileInterval().toMillis())
                .routeId("inbox-reconciliation")
                .bean("inboxReconciliation", "reconcile");
    }

    /**
     * Announced large files that may wait for this instance's large-file workers; more are let go, for their messages
     * to come back later (a sealed batch always waits its turn). Far above what a tenant's backlog bound lets it
     * confirm in files over small-source-bytes; a few hundred bytes each.
     */
    static final int LARGE_FILES_WAITING = 10_000;

    /** Large files have their own workers, all but one of {@code inlet.pipeline.workers} (at least one). */
    public static int largeBatchWorkers(Settings.Pipeline pipeline) {
        return Math.max(1, pipeline.workers() - 1);
    }

    private static String s3GetObject(String bucket) {
        return "aws2-s3://" + bucket + "?operation=getObject";
    }

    /** Whose batch an exchange on its way to the workers is: gathered files, or a manifest from the sweep. */
    static String tenantOfBatch(Exchange exchange) {
        Announced first = firstAnnounced(exchange);
        if (first != null) {
            return first.tenant();
        }
        if (exchange.getMessage().getBody() instanceof BatchManifest manifest && !manifest.sources().isEmpty()) {
            return FileKey.ofManifest(manifest.sources().get(0).key()).map(FileKey::tenant).orElse("");
        }
        return "";
    }

    /** The inbox key of a large file on its way to the workers; null for a sealed batch (a manifest). */
    static String announcedFileOf(Exchange exchange) {
        Announced first = firstAnnounced(exchange);
        return first == null ? null : first.file().key();
    }

    /** The announced files a gathered batch carries; null for a manifest. */
    @SuppressWarnings("unchecked")
    static List<Announced> gatheredOf(Exchange exchange) {
        return firstAnnounced(exchange) == null ? null : exchange.getMessage().getBody(List.class);
    }

    /** The first of the gathered files an exchange carries; null for a manifest. */
    private static Announced firstAnnounced(Exchange exchange) {
        return exchange.getMessage().getBody() instanceof List<?> files && !files.isEmpty()
                && files.get(0) instanceof Announced first ? first : null;
    }

    /**
     * A large file announced again while it waits: the newer announcement waits in its place, carrying the earlier
     * ones too, so that sealing settles every announcement (a message that named the file twice is acknowledged).
     */
    @SuppressWarnings("unchecked")
    static Exchange announcedAgain(Exchange waiting, Exchange again) {
        List<Announced> all = new ArrayList<>(again.getMessage().getBody(List.class));
        all.addAll(waiting.getMessage().getBody(List.class));
        again.getMessage().setBody(all);
        return again;
    }

    /**
     * Gathers announced files into the body of one exchange, as a list; marks the batch full at the file and byte
     * limits, counting each file once however often it was announced (every announcement stays in the list: sealing
     * settles them all), and a large file (which has a correlation key of its own) full at once.
     */
    static final class SmallFilesTogether implements AggregationStrategy {

        static final String FULL = "inletBatchFull";
        static final String LARGE = "inletLargeFile";
        static final String BYTES = "inletBatchBytes";
        static final String KEYS = "inletBatchKeys";
        private final Settings.Pipeline pipeline;

        SmallFilesTogether(Settings.Pipeline pipeline) {
            this.pipeline = pipeline;
        }

        @Override
        @SuppressWarnings("unchecked")
        public Exchange aggregate(Exchange gathered, Exchange next) {
            Announced file = next.getMessage().getBody(Announced.class);
            Exchange into = gathered == null ? next : gathered;
            if (gathered == null) {
                List<Announced> files = new ArrayList<>();
                files.add(file);
                next.getMessage().setBody(files);
                next.setProperty(BYTES, 0L);
                next.setProperty(KEYS, new HashSet<String>());
                next.setProperty(LARGE, pipeline.isLargeSource(file.file().size()));
            } else {
                gathered.getMessage().getBody(List.class).add(file);
            }
            Set<String> keys = into.getProperty(KEYS, Set.class);
            long bytes = into.getProperty(BYTES, Long.class);
            if (keys.add(file.file().key())) {
                bytes += Math.max(0, file.file().size());
                into.setProperty(BYTES, bytes);
            }
            into.setProperty(FULL, keys.size() >= pipeline.maxSourcesPerBatch() || bytes >= pipeline.maxBatchBytes()
                    || into.getProperty(LARGE, Boolean.class));
            return into;
        }
    }
}

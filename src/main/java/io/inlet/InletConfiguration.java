package io.inlet;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.api.BodiesInFlight;
import io.inlet.api.EnvelopeErrors;
import io.inlet.api.EnvelopeSchemas;
import io.inlet.api.ErrorResponses;
import io.inlet.console.ConsolePages;
import io.inlet.dropfolder.DropFolderIntake;
import io.inlet.idempotency.IdempotencyRecords;
import io.inlet.idempotency.IdempotentUploads;
import io.inlet.limits.Backlog;
import io.inlet.limits.BacklogHealth;
import io.inlet.limits.TenantLimits;
import io.inlet.limits.WaitingRoom;
import io.inlet.dropfolder.DropFolderFilter;
import io.inlet.dropfolder.DropFolderPolls;
import io.inlet.api.HttpErrorPages;
import io.inlet.api.JsonRequests;
import io.inlet.api.OpenApiDocument;
import io.inlet.api.ParsingBudget;
import io.inlet.http.ApiListening;
import io.inlet.http.ConnectionCap;
import io.inlet.http.RequestDeadlines;
import io.inlet.http.RequestHeadTimeout;
import io.inlet.http.RequestLog;
import io.inlet.http.TimedVertx;
import io.inlet.metrics.BacklogProbe;
import io.inlet.metrics.BacklogProbeRoute;
import io.inlet.metrics.IngestMeters;
import io.inlet.metrics.MeterRegistries;
import io.inlet.metrics.S3CallTimer;
import io.inlet.metrics.ObserveAccess;
import io.inlet.schema.RecordValidator;
import io.inlet.storage.BoundedS3Calls;
import io.inlet.storage.Buckets;
import io.inlet.storage.embedded.EmbeddedS3;
import io.inlet.storage.InboxWrites;
import io.inlet.storage.S3Clients;
import io.inlet.storage.S3Credentials;
import io.inlet.storage.S3Health;
import io.inlet.tenant.ApiKeyAuth;
import io.inlet.tenant.ApiKeyGate;
import io.inlet.tenant.ApiKeys;
import io.inlet.tenant.DevTenant;
import io.inlet.tenant.KeyLastUse;
import io.inlet.pipeline.BatchCommit;
import io.inlet.pipeline.BatchFailures;
import io.inlet.pipeline.BatchSteps;
import io.inlet.pipeline.CrashPoints;
import io.inlet.pipeline.BatchPlanner;
import io.inlet.pipeline.BatchSweep;
import io.inlet.pipeline.Claims;
import io.inlet.pipeline.InboxReconciliation;
import io.inlet.pipeline.InstanceId;
import io.inlet.pipeline.PartsAllowance;
import io.inlet.pipeline.PipelineRoutes;
import io.inlet.pipeline.PrefetchedSources;
import io.inlet.queue.EmbeddedQueue;
import io.inlet.queue.InboxEvents;
import io.inlet.queue.WorkQueue;
import io.inlet.pipeline.Manifests;
import io.inlet.status.StatusStore;
import io.inlet.status.UploadIndex;
import io.inlet.status.UploadListApi;
import io.inlet.status.UploadStatusApi;
import io.inlet.upload.PresignedUploads;
import io.inlet.upload.UploadConfirmation;
import io.inlet.upload.UploadExpiry;
import io.inlet.upload.UploadLocks;
import io.inlet.upload.UploadJson;
import io.inlet.upload.UploadJsonDryRun;
import io.inlet.upload.SharedInboxWrites;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.SimpleEventNotifierSupport;
import org.apache.camel.support.service.ServiceSupport;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Wires Inlet's beans from the settings before the YAML routes are loaded. Storage comes first: the
 * embedded S3 (when enabled) is started and the buckets exist before any route can use them.
 */
public class InletConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(InletConfiguration.class);

    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = Settings.from(context.getPropertiesComponent());
        // Tenants' own limits are read when each tenant is first seen: a misspelt key must fail the start instead.
        SortedSet<String> tenantsWithOwnLimits = Settings.checkTenantLimitKeys(context.getPropertiesComponent());
        List<String> unknown = Settings.unknownSettings(context.getPropertiesComponent());
        if (!unknown.isEmpty()) {
            LOG.warn("These name no setting and are ignored (misspelt?): {}; the settings are listed in"
                    + " config/application.properties", String.join(", ", unknown));
        }
        DataDirectory.prepare(settings);
        FileChannel dataDirectoryLock = DataDirectory.lock(settings);
        try {
            configure(context, settings, tenantsWithOwnLimits, dataDirectoryLock);
        } catch (Exception | Error startFailed) {
            dataDirectoryLock.close();
            throw startFailed;
        }
    }

    private void configure(CamelContext context, Settings settings, SortedSet<String> tenantsWithOwnLimits,
            FileChannel dataDirectoryLock) throws Exception {
        Registry registry = context.getRegistry();
        ObjectMapper json = Json.mapper();
        Clock clock = Clock.systemUTC();

        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() throws IOException {
                dataDirectoryLock.close(); // after every other service: stopped last, as added first
            }
        }, true, false);
        checkApiPortFree(context);
        // GET /observe/metrics serves this registry; everything below that counts or times writes into it.
        PrometheusMeterRegistry meters = MeterRegistries.of(context);
        IngestMeters ingestMeters = new IngestMeters(meters);

        // The API server (Camel's platform-http) runs on this Vert.x: it gets the connection timeouts Camel has no
        // setting for, and times each request. Closed with the context.
        Vertx vertx = MeterRegistries.instrumentedVertx(meters, settings.httpWorkerThreads());
        RequestHeadTimeout headTimeout = new RequestHeadTimeout(vertx, settings.httpHeaderTimeout());
        Vertx apiVertx = TimedVertx.wrap(vertx, settings.httpIdleTimeout(), headTimeout,
                new ConnectionCap("API", settings.httpMaxConnections(), settings.httpMaxConnectionsPerAddress()));
        registry.bind("vertx", apiVertx);
        context.addStartupListener(new ApiListening(apiVertx, apiAddress(context)));
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                vertx.close();
            }
        }, true, false);

        // The embedded queue takes about a second to start: it starts while the S3 side starts and makes its buckets.
        Settings.Queue queueSettings = settings.queue();
        EmbeddedQueue embeddedQueue = queueSettings.embedded()
                ? new EmbeddedQueue(queueSettings.embeddedHost(), queueSettings.embeddedPort()) : null;
        CompletableFuture<Void> queueStarted = embeddedQueue == null ? CompletableFuture.completedFuture(null)
                : CompletableFuture.runAsync(embeddedQueue::start, start -> new Thread(start, "embedded-queue-start").start());

        Buckets buckets = Buckets.of(settings);
        S3CallTimer s3Timer = new S3CallTimer(meters, buckets);
        S3Client s3;
        S3Client s3OneAttempt;
        try {
            if (settings.embeddedS3()) {
                EmbeddedS3 embedded = new EmbeddedS3(settings);
                embedded.start();
                context.addService(embedded, true, false);
                registry.bind("embeddedS3", embedded);
                // The service's own listener: clients on the public port cannot take its threads.
                StaticCredentialsProvider credentials = StaticCredentialsProvider.create(embedded.serviceCredentials());
                s3 = S3Clients.client(settings, embedded.serviceEndpoint(), credentials, s3Timer);
                s3OneAttempt = S3Clients.client(settings, embedded.serviceEndpoint(), credentials, true, s3Timer);
            } else {
                s3 = S3Clients.client(settings, s3Timer);
                s3OneAttempt = S3Clients.client(settings, true, s3Timer);
            }
            closeAtStop(context, s3);
            closeAtStop(context, s3OneAttempt);
            ensureBuckets(s3, buckets);
        } catch (Exception | Error startFailed) {
            // the context never started, so nothing else would stop the queue's threads
            queueStarted.whenComplete((started, failed) -> {
                if (embeddedQueue != null && failed == null) {
                    embeddedQueue.stop();
                }
            });
            throw startFailed;
        }

        // The work queue: embedded, or SQS by settings. Its URL is known before any route starts.
        URI embeddedQueueEndpoint = null;
        if (embeddedQueue != null) {
            try {
                queueStarted.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
            context.addService(embeddedQueue, true, false);
            embeddedQueueEndpoint = embeddedQueue.endpoint();
        }
        SqsClient sqs = WorkQueue.client(queueSettings, embeddedQueueEndpoint);
        closeAtStop(context, sqs);
        String queueUrl = WorkQueue.resolveUrl(sqs, queueSettings);
        InboxEvents inboxEvents = new InboxEvents(json, buckets.inbox());
        WorkQueue workQueue = new WorkQueue(sqs, queueUrl, inboxEvents, queueSettings.announceWrites(),
                WorkQueue.visibilityTimeout(sqs, queueUrl, queueSettings.visibilityTimeoutSeconds()),
                queueSettings.url().isPresent() ? null : () -> WorkQueue.resolveUrl(sqs, queueSettings));
        context.addService(workQueue, true, false);
        registry.bind("sqsClient", sqs);
        registry.bind("workQueue", workQueue);


        clearScratch(settings.tempDir());
        ApiKeys keys = new ApiKeys(settings.keysFile(), clock);
        DevTenant.createIfNoKeys(keys, settings.keys().devTenant() ? DevTenant.terminal() : Optional.empty());
        // Written by the key-last-use route every inlet.keys.last-used-interval, and once more at a graceful stop.
        KeyLastUse keyLastUse = new KeyLastUse(settings.keysFile(), InstanceId.of(settings.dataDir()), clock);
        registry.bind("keyLastUse", keyLastUse);
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                keyLastUse.flush();
            }
        }, true, false);

        RecordValidator validator = new RecordValidator();
        ErrorResponses errorResponses = new ErrorResponses(json);
        WaitingRoom waitingRoom = new WaitingRoom(settings.httpWaitingPerTenant());
        ObjectMapper requestJson = Json.requestMapper();
        JsonRequests jsonRequests = new JsonRequests(requestJson, settings.jsonBodyLimit(),
                new ParsingBudget(settings.httpParsingBytes(), settings.jsonBodyLimit(), 10_000, waitingRoom));

        registry.bind("settings", settings);
        // The one Jackson configuration, for Camel too: response bodies are marshalled with it (marshal: json in
        // the routes), and json-validator parses request bodies with its request variant (objectMapper: "#requestJson").
        registry.bind("json", json);
        registry.bind("requestJson", requestJson);
        registry.bind("s3Client", s3);
        registry.bind("apiKeyAuth", new ApiKeyAuth(keys, keyLastUse));
        registry.bind("errorResponses", errorResponses);
        registry.bind("jsonRequests", jsonRequests);
        registry.bind("envelopeSchemas", new EnvelopeSchemas());
        registry.bind("envelopeErrors", new EnvelopeErrors());
        registry.bind("openApiDocument", new OpenApiDocument(json));
        Settings.Pipeline pipeline = settings.pipeline();
        UploadJson uploadJson = new UploadJson(requestJson, validator, clock, ingestMeters, new PartsAllowance(
                pipeline.freePartsPerFile(), pipeline.recordsPerExtraPart(),
                Math.min(pipeline.maxPartsPerFile(), pipeline.maxOpenParts())), pipeline.maxLineBytes());
        registry.bind("uploadJson", uploadJson);
        registry.bind("uploadJsonDryRun", new UploadJsonDryRun(uploadJson));
        InboxWrites inboxWrites = new InboxWrites(s3, s3OneAttempt, buckets);
        registry.bind("sharedInboxWrites", new SharedInboxWrites(inboxWrites, workQueue,
                settings.sharedInbox().maxBatches(), settings.sharedInbox().maxBytes(), settings.sharedInbox().gatherMillis()));
        IdempotencyRecords idempotencyRecords = new IdempotencyRecords(s3, buckets.lake(), json, clock,
                settings.idempotency().ttl());
        registry.bind("idempotencyRecords", idempotencyRecords);
        // A request whose instance stopped answering for the pipeline's lease is as gone as that instance's batches.
        registry.bind("idempotentUploads", new IdempotentUploads(idempotencyRecords, s3, buckets, json, clock,
                InstanceId.of(settings.dataDir()), settings.idempotency().ttl(), settings.pipeline().leaseTimeout(),
                waitingRoom));
        registry.bind("s3Health", new S3Health(s3, buckets));
        TenantLimits limits = tenantLimits(context, settings, tenantsWithOwnLimits);
        registry.bind("tenantLimits", limits);
        Backlog backlog = new Backlog(s3, buckets.inbox(), settings.overload(), clock);
        registry.bind("backlog", backlog);
        registry.bind("backlogHealth", new BacklogHealth(backlog));

        CrashPoints crashPoints = new CrashPoints(settings.pipeline().crashAt());
        UploadIndex uploadIndex = new UploadIndex(s3, buckets.lake());
        StatusStore statuses = new StatusStore(s3, buckets.lake(), json, clock, uploadIndex);
        UploadLocks uploadLocks = new UploadLocks();
        UploadExpiry uploadExpiry = new UploadExpiry(s3, buckets, statuses, settings.uploadUrlExpiry(),
                settings.uploadExpiryGrace(), clock, uploadLocks);
        UploadConfirmation confirmation = new UploadConfirmation(s3, buckets, statuses,
                settings.uploadMaxBytes(), clock, crashPoints, workQueue, uploadExpiry, uploadLocks, ingestMeters, limits);
        PresignedUploads presignedUploads = new PresignedUploads(S3Clients.presigner(settings),
                S3Credentials.provider(settings), buckets,
                statuses, settings.uploadUrlExpiry(), settings.uploadMaxPending(), clock, uploadExpiry);
        registry.bind("presignedUploads", presignedUploads);
        registry.bind("uploadConfirmation", confirmation);
        registry.bind("uploadExpiry", uploadExpiry);
        UploadStatusApi uploadStatusApi = new UploadStatusApi(statuses, s3, buckets);
        registry.bind("uploadStatusApi", uploadStatusApi);
        // A page's status documents are read side by side on a pool of their own: listings never wait behind a
        // batch's S3 calls, nor hold them up.
        registry.bind("uploadListApi", new UploadListApi(uploadIndex, uploadStatusApi, new BoundedS3Calls(context
                .getExecutorServiceManager().newFixedThreadPool(this, "inlet-upload-list", settings.pipeline().s3Concurrency()))));

        Manifests manifests = new Manifests(s3, buckets.lake(), json);
        Claims claims = new Claims(s3, buckets.lake(), manifests);
        BatchSweep sweep = new BatchSweep(s3, buckets.lake(), manifests, clock, InstanceId.of(settings.dataDir()),
                pipeline.leaseTimeout());
        BoundedS3Calls s3Calls = new BoundedS3Calls(context.getExecutorServiceManager()
                .newFixedThreadPool(this, "inlet-s3-calls", pipeline.s3Concurrency()));
        // The read-source split's pool: each file being read holds one thread (its reader, waiting while its chunks
        // are in flight), so there is one per batch that can run at once, plus the checking threads.
        registry.bind("recordChecks", context.getExecutorServiceManager().newFixedThreadPool(this, "inlet-record-check",
                pipeline.checkThreads() + pipeline.smallBatchWorkers() + PipelineRoutes.largeBatchWorkers(pipeline)));
        PrefetchedSources prefetched = new PrefetchedSources();
        BatchCommit commit = new BatchCommit(s3, buckets, statuses, manifests, sweep, claims, crashPoints, s3Calls,
                ingestMeters);
        registry.bind("batchSweep", sweep);
        registry.bind("batchPlanner", new BatchPlanner(s3, buckets, claims, manifests, sweep, inboxEvents, workQueue, s3Calls,
                pipeline, crashPoints, clock, prefetched, pipeline.prefetchBytes()));
        registry.bind("inboxReconciliation", new InboxReconciliation(s3, buckets.inbox(), claims, workQueue,
                queueSettings.reconcileMinAge(), pipeline.leaseTimeout(),
                // two passes: a file whose message a backlog count hid waits at most that long
                queueSettings.reconcileInterval().multipliedBy(2), queueSettings.reconcileMaxFiles(), clock));
        registry.bind("batchSteps", new BatchSteps(s3, buckets, json, validator, statuses, pipeline.lakeBufferBytes(),
                settings.tempDir(), pipeline.statusInterval(), crashPoints, s3Calls, pipeline.prefetchBytes(), prefetched,
                pipeline.checkThreads(), pipeline.smallSourceJsonlBytes(), sweep));
        registry.bind("batchCommit", commit);
        registry.bind("batchFailures", new BatchFailures(manifests, sweep, statuses, commit, pipeline.maxAttempts(),
                pipeline.retryDelay(), clock, ingestMeters));

        Files.createDirectories(settings.dropFolderDir());
        // Taken and refused files keep their own mode as they move there: the folders keep other local users out
        DataDirectory.ownerOnly(DropFolderIntake.ownFolders(settings.dropFolderDir()),
                "the drop folder's .done and .error folders");
        if (!"UTF-8".equalsIgnoreCase(DropFolderFilter.FILE_NAME_ENCODING)) {
            LOG.warn("File names are read as {} (the locale this service was started in): files in the drop folder whose"
                    + " names are not ASCII cannot be opened and are left where they are. Start the service with a UTF-8"
                    + " locale (LANG=C.UTF-8)", DropFolderFilter.FILE_NAME_ENCODING);
        }
        DropFolderFilter dropFolderFilter = new DropFolderFilter(Duration.ofMillis(Long.parseLong(
                context.resolvePropertyPlaceholders("{{inlet.dropfolder.settle-ms}}"))), clock);
        registry.bind("dropFolderFilter", dropFolderFilter);
        registry.bind("dropFolderPolls", new DropFolderPolls(dropFolderFilter, settings.dropFolderDir()));
        DropFolderIntake dropFolderIntake = new DropFolderIntake(s3, inboxWrites, buckets, keys, statuses, settings.dropFolderDir(),
                settings.uploadMaxBytes(), crashPoints, workQueue, ingestMeters, dropFolderFilter, clock,
                settings.dataDir().resolve("dropfolder-taking"));
        dropFolderIntake.settleInterrupted();
        registry.bind("dropFolderIntake", dropFolderIntake);

        registry.bind("pipelineRoutes", new PipelineRoutes(settings, queueUrl));

        registry.bind("backlogProbe", new BacklogProbe(meters, backlog, workQueue));
        registry.bind("backlogProbeRoute", new BacklogProbeRoute(settings.metrics().queueDepthInterval()));

        // Request ids and the request log: the routes get theirs from the policy, every answer from the handler.
        RequestLog requestLog = new RequestLog();
        context.addRoutePolicyFactory(requestLog);
        int port = Integer.parseInt(context.resolvePropertyPlaceholders("{{camel.server.port}}"));
        long maxBodySize = Long.parseLong(context.resolvePropertyPlaceholders("{{camel.server.max-body-size}}"));
        BodiesInFlight bodiesInFlight = new BodiesInFlight(settings.httpBodyBytesInFlight(), maxBodySize,
                settings.jsonBodyLimit());
        registry.bind("bodiesInFlight", bodiesInFlight);
        AtomicBoolean started = new AtomicBoolean();
        AtomicReference<Route> whileStarting = new AtomicReference<>();
        context.getManagementStrategy().addEventNotifier(new SimpleEventNotifierSupport() {
            @Override
            public void notify(CamelEvent event) {
                if (event instanceof CamelEvent.CamelContextRoutesStartingEvent) {
                    // The server answers while the routes start one by one: an endpoint whose route has not started
                    // yet would be Vert.x's 404 "Resource not found" (a client may take that for "nothing uploaded").
                    // No path of its own (a route's path names the request in the metrics), and gone once started.
                    whileStarting.set(apiRouter(context, port).route().order(Integer.MIN_VALUE)
                            .handler(retryLater("starting", started::get, errorResponses)));
                }
                if (event instanceof CamelEvent.CamelContextStartedEvent) {
                    VertxPlatformHttpRouter router = apiRouter(context, port);
                    router.route().order(Integer.MIN_VALUE).handler(requestLog);
                    router.route().order(Integer.MIN_VALUE + 1).handler(new RequestDeadlines(vertx, headTimeout,
                            settings.httpBodyTimeout()));
                    ApiKeyGate.install(context, router, Integer.MIN_VALUE + 2, keys, bodiesInFlight, errorResponses);
                    HttpErrorPages.install(router, maxBodySize, errorResponses);
                    ConsolePages.install(router, presignedUploads.uploadOrigin());
                    ObserveAccess.install(context, settings.metrics().scrapeToken(), errorResponses);
                    // only now, with every gate and page in place, do requests go on
                    started.set(true);
                    Route starting = whileStarting.getAndSet(null);
                    if (starting != null) {
                        starting.remove();
                    }
                }
                if (event instanceof CamelEvent.CamelContextStoppingEvent) {
                    // the routes stop one by one as well: a new request is told to retry (elsewhere), not 404
                    apiRouter(context, port).route().order(Integer.MIN_VALUE)
                            .handler(retryLater("stopping", () -> false, errorResponses));
                }
            }
        });
    }

    private static TenantLimits tenantLimits(CamelContext context, Settings settings, SortedSet<String> tenantsWithOwnLimits) {
        Settings.Limits limits = settings.limits();
        if (limits.enabled()) {
            Settings.Limits.Rates rates = limits.defaults();
            LOG.info("Rate limits per tenant on this instance: {} requests/s ({} at once), {} bytes/s ({} at once){}",
                    rates.requestsPerSecond(), rates.requestsBurst(), rates.bytesPerSecond(), rates.bytesBurst(),
                    tenantsWithOwnLimits.isEmpty() ? "" : "; tenants with limits of their own: " + tenantsWithOwnLimits);
        } else {
            LOG.info("Rate limits are off (inlet.limits.enabled=false)");
        }
        return new TenantLimits(limits,
                tenant -> Settings.tenantRates(context.getPropertiesComponent(), limits.defaults(), tenant));
    }

    /**
     * Fails the start when the API's port is taken: Vert.x would log the failure and the process run on without an
     * API, never exiting for a supervisor to restart it.
     */
    private static void checkApiPortFree(CamelContext context) {
        InetSocketAddress api = apiAddress(context);
        if (api.getPort() == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(api);
        } catch (IOException taken) {
            throw new IllegalStateException("The API cannot listen on " + api.getHostString() + ":" + api.getPort()
                    + " (is the port taken? Set camel.server.port)", taken);
        }
    }

    /** Where the API is to listen: {@code camel.server.host} and {@code camel.server.port}. */
    private static InetSocketAddress apiAddress(CamelContext context) {
        String host = context.getPropertiesComponent().resolveProperty("camel.server.host").orElse("0.0.0.0");
        int port = Integer.parseInt(context.getPropertiesComponent().resolveProperty("camel.server.port").orElse("8080"));
        return new InetSocketAddress(host, port);
    }

    /** Where the API's own paths (those that take a key) start. */
    private static final String API_PREFIX = "/ingestion/";

    /** Answers requests to the API's own paths 503 with Retry-After, unread, until {@code open} says otherwise. */
    private static Handler<RoutingContext> retryLater(String doing, BooleanSupplier open, ErrorResponses responses) {
        return ctx -> {
            if (open.getAsBoolean() || !ctx.normalizedPath().startsWith(API_PREFIX)) {
                ctx.next();
                return;
            }
            ctx.response().putHeader("Retry-After", "1");
            HttpErrorPages.refuseUnread(ctx, 503, responses.body("Inlet is " + doing + "; retry in a moment (nothing"
                    + " of this request was read)", List.of()));
        };
    }

    /** The router of Camel's HTTP server on the API port (the health check's too): routes, error pages, request log. */
    private static VertxPlatformHttpRouter apiRouter(CamelContext context, int port) {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(context, VertxPlatformHttpRouter.getRouterNameFromPort(port));
        if (router == null) {
            throw new IllegalStateException("No platform-http router on port " + port);
        }
        return router;
    }

    /** Scratch part files of batches a crash interrupted: those batches start over from their manifests. */
    private static void clearScratch(Path scratch) throws IOException {
        Files.createDirectories(scratch);
        try (Stream<Path> files = Files.list(scratch)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(file);
            }
        }
    }

    /**
     * Closes a client when the context stops, before the services added ahead of it (the embedded S3 and queue it
     * talks to). The embedded S3, stopping, gives each open connection a second of grace: our own kept-alive ones,
     * closed first, cost nothing.
     */
    private static void closeAtStop(CamelContext context, AutoCloseable client) throws Exception {
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() throws Exception {
                client.close();
            }
        }, true, false);
    }

    /** External S3 (MinIO in compose, say) may come up after us: wait for it a little before giving up. */
    private static void ensureBuckets(S3Client s3, Buckets buckets) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            try {
                buckets.ensureExist(s3);
                return;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("S3 did not answer for 30 s; check inlet.s3.endpoint and credentials", e);
                }
                LOG.warn("S3 not reachable yet ({}); retrying", e.getMessage());
                Thread.sleep(2000);
            }
        }
    }
}

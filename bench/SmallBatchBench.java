import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.FileVisitResult;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.queue.EmbeddedQueue;
import io.inlet.storage.FileKey;
import io.inlet.storage.SharedInboxObject;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpPost;
import org.apache.http.entity.ByteArrayEntity;
import org.apache.http.entity.ContentType;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.BasicHttpClientConnectionManager;
import org.apache.http.util.EntityUtils;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Many small upload-json batches from concurrent clients, end to end: the HTTP latency clients see, and how
 * fast the acknowledged batches reach the archive and the lake, with S3 behind a network of a given latency.
 * The jar under test runs as a process of its own (so an older jar can be measured the same way); its S3 is an
 * S3Proxy in this JVM, reached through a delaying TCP proxy. Run it with bench/small-batches.sh; see
 * docs/PERFORMANCE.md.
 */
public final class SmallBatchBench {

    static final String USAGE = """
            usage: bench/small-batches.sh [--jar PATH] [--batches N | --duration-s D] [--records R] [--clients C]
                                          [--s3-latency-ms L] [--warmup-batches W] [--drain-limit-s S]
                                          [--instances N] [--queue embedded|external] [--instance-cpus C]
                                          [--rate R] [--jvm-option OPT]...
              --jar              the Inlet jar under test, run as java -Xmx512m -jar PATH (default target/inlet.jar)
              --batches          upload-json requests to send (default 1000)
              --duration-s       instead: send as fast as the clients manage for D seconds
              --records          contact_event records per batch (default 20)
              --clients          concurrent HTTP clients (default 16); each sends again as soon as it is answered
              --rate             open loop instead: requests start at R a second on average, spaced as independent
                                 senders' would be (exponential gaps, seeded), answered or not; --clients is then the
                                 most in flight, and a latency counts from the request's planned start
              --s3-latency-ms    one-way delay between Inlet and S3 (default 0; 10 gives a 20 ms round trip)
              --warmup-batches   sent and processed before measuring, under another tenant (default 100)
              --drain-limit-s    longest wait for the archive after the last request (default 600)
              --instances        Inlet processes sharing the S3 and the queue; clients spread over them (default 1)
              --queue            embedded: the jar's own queue (default with one instance); external: an SQS
                                 server in this JVM behind the same delay as S3 (always with several instances)
              --instance-cpus    run each instance in a CPU cgroup of its own limited to C cores (0.5, 1), as a
                                 container's CPU limit would: a second instance then brings CPU of its own, the
                                 benchmark keeps the rest (needs root and a cgroup CPU controller)
              --jvm-option       one more option for each instance's JVM, after -Xmx512m (repeat it for several),
                                 e.g. --jvm-option -XX:+UseParallelGC""";
    static final String TENANT = "bench";
    static final String WARMUP_TENANT = "bench-warmup";
    static final String INBOX = "inlet-inbox";
    static final String ARCHIVE = "inlet-archive";
    static final String LAKE = "inlet-lake";
    static final ObjectMapper JSON = new ObjectMapper();

    record Options(Path jar, int batches, int durationSeconds, int records, int clients, int s3LatencyMs,
            int warmupBatches, int drainLimitSeconds, int instances, boolean externalQueue, double instanceCpus,
            double rate, List<String> jvmOptions) {

        static Options parse(String[] args) {
            Path jar = Path.of("target/inlet.jar");
            int batches = 1000;
            int durationSeconds = 0;
            int records = 20;
            int clients = 16;
            int latency = 0;
            int warmup = 100;
            int drainLimit = 600;
            int instances = 1;
            boolean externalQueue = false;
            double instanceCpus = 0;
            double rate = 0;
            List<String> jvmOptions = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--help")) {
                    System.out.println(USAGE);
                    System.exit(0);
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(USAGE);
                }
                switch (args[i]) {
                    case "--jar" -> jar = Path.of(args[++i]);
                    case "--batches" -> batches = Integer.parseInt(args[++i]);
                    case "--duration-s" -> durationSeconds = Integer.parseInt(args[++i]);
                    case "--records" -> records = Integer.parseInt(args[++i]);
                    case "--clients" -> clients = Integer.parseInt(args[++i]);
                    case "--s3-latency-ms" -> latency = Integer.parseInt(args[++i]);
                    case "--warmup-batches" -> warmup = Integer.parseInt(args[++i]);
                    case "--drain-limit-s" -> drainLimit = Integer.parseInt(args[++i]);
                    case "--instances" -> instances = Integer.parseInt(args[++i]);
                    case "--instance-cpus" -> instanceCpus = Double.parseDouble(args[++i]);
                    case "--rate" -> rate = Double.parseDouble(args[++i]);
                    case "--jvm-option" -> jvmOptions.add(args[++i]);
                    case "--queue" -> externalQueue = switch (args[++i]) {
                        case "external" -> true;
                        case "embedded" -> false;
                        default -> throw new IllegalArgumentException(USAGE);
                    };
                    default -> throw new IllegalArgumentException(USAGE);
                }
            }
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException(jar + " does not exist");
            }
            if (instances > 1) {
                externalQueue = true;
            }
            if (instanceCpus != 0 && instanceCpus < 0.01) {
                throw new IllegalArgumentException("--instance-cpus must be 0.01 or more, not " + instanceCpus);
            }
            if (rate < 0) {
                throw new IllegalArgumentException("--rate must be positive, not " + rate);
            }
            return new Options(jar, batches, durationSeconds, records, clients, latency, warmup, drainLimit, instances,
                    externalQueue, instanceCpus, rate, List.copyOf(jvmOptions));
        }

        String load() {
            String amount = durationSeconds > 0 ? "as many batches as they manage in " + durationSeconds + " s"
                    : String.format(Locale.ROOT, "%,d batches", batches);
            if (rate > 0) {
                return String.format(Locale.ROOT, "open loop at %.0f requests/s (at most %d in flight), %s of %d contact_event records",
                        rate, clients, amount, records);
            }
            return String.format(Locale.ROOT, "%d clients, %s of %d contact_event records", clients, amount, records);
        }
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        System.out.printf(Locale.ROOT, "Inlet small-batch benchmark: jar %s%s, %d instance(s)%s, %s queue, S3%s latency %d ms one"
                        + " way (%d ms round trip), %s, %d cores, load average %.1f%n", options.jar().toAbsolutePath().normalize(),
                options.jvmOptions().isEmpty() ? "" : " with " + String.join(" ", options.jvmOptions()),
                options.instances(), options.instanceCpus() > 0 ? " of " + options.instanceCpus() + " cores each" : "",
                options.externalQueue() ? "external" : "embedded", options.externalQueue() ? " and queue" : "",
                options.s3LatencyMs(), 2 * options.s3LatencyMs(), options.load(), Runtime.getRuntime().availableProcessors(),
                loadAverage());

        Path work = Files.createTempDirectory("inlet-small-batches-");
        AwsBasicCredentials credentials = AwsBasicCredentials.create("bench-" + UUID.randomUUID(), UUID.randomUUID().toString());
        S3Proxy s3 = startS3Proxy(work.resolve("s3"), credentials);
        URI s3Endpoint = URI.create("http://127.0.0.1:" + s3.getPort());
        DelayProxy delay = options.s3LatencyMs() > 0 ? DelayProxy.start(s3.getPort(), options.s3LatencyMs()) : null;
        URI inletS3Endpoint = delay == null ? s3Endpoint : URI.create("http://127.0.0.1:" + delay.port());
        S3Client direct = s3Client(s3Endpoint, credentials);

        // What one S3 request costs on this network before Inlet adds anything: the floor under every S3 call it makes.
        direct.createBucket(b -> b.bucket("bench-baseline"));
        RoundTrips directRoundTrips = RoundTrips.measure(direct, "bench-baseline");
        RoundTrips delayedRoundTrips = null;
        if (delay != null) {
            try (S3Client throughDelay = s3Client(inletS3Endpoint, credentials)) {
                delayedRoundTrips = RoundTrips.measure(throughDelay, "bench-baseline");
            }
        }

        // The queue, when external: an SQS server in this JVM, behind a delay of its own (10 ms each way, like S3).
        EmbeddedQueue queue = null;
        DelayProxy queueDelay = null;
        URI queueEndpoint = null;
        if (options.externalQueue()) {
            queue = new EmbeddedQueue("127.0.0.1", 0);
            queue.start();
            queueDelay = options.s3LatencyMs() > 0 ? DelayProxy.start(queue.endpoint().getPort(), options.s3LatencyMs()) : null;
            queueEndpoint = queueDelay == null ? queue.endpoint() : URI.create("http://127.0.0.1:" + queueDelay.port());
        }

        Path keysFile = work.resolve("api-keys.json");
        List<Map<String, String>> instanceSettings = new ArrayList<>();
        for (int i = 0; i < options.instances(); i++) {
            Path dataDir = work.resolve("data-" + i);
            Map<String, String> settings = new TreeMap<>();
            settings.put("inlet.data-dir", dataDir.toString());
            settings.put("inlet.keys.file", keysFile.toString());
            settings.put("inlet.dropfolder.dir", work.resolve("drop-" + i).toString());
            settings.put("camel.server.port", String.valueOf(freePort()));
            // capacity, not policy: a tenant's request rate limit (500 a second by default) would cap the figures
            settings.put("inlet.limits.enabled", "false");
            settings.put("inlet.s3.embedded.enabled", "false");
            settings.put("inlet.s3.endpoint", inletS3Endpoint.toString());
            settings.put("inlet.s3.public-endpoint", inletS3Endpoint.toString());
            settings.put("inlet.s3.access-key", credentials.accessKeyId());
            settings.put("inlet.s3.secret-key", credentials.secretAccessKey());
            if (queueEndpoint != null) {
                settings.put("inlet.queue.embedded.enabled", "false");
                settings.put("inlet.queue.endpoint", queueEndpoint.toString());
                settings.put("inlet.queue.access-key", "bench");
                settings.put("inlet.queue.secret-key", "bench");
            }
            instanceSettings.add(settings);
        }
        // Jars before the shared keys file keep keys in their data directory: the key is minted there, then copied.
        Path firstData = work.resolve("data-0");
        String key = createKey(options.jar(), firstData, keysFile, TENANT);
        String warmupKey = createKey(options.jar(), firstData, keysFile, WARMUP_TENANT);
        List<Process> inlets = new ArrayList<>();
        List<String> baseUrls = new ArrayList<>();
        Path log = work.resolve("inlet-0.log");
        for (int i = 0; i < options.instances(); i++) {
            Map<String, String> settings = instanceSettings.get(i);
            Path cpuGroup = options.instanceCpus() > 0 ? CpuLimit.group(i, options.instanceCpus()) : null;
            Process inlet = startInlet(options.jar(), options.jvmOptions(), settings, work.resolve("inlet-" + i + ".log"),
                    cpuGroup);
            inlets.add(inlet);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                inlet.destroyForcibly();
                if (cpuGroup != null) {
                    inlet.onExit().join(); // an empty group can be removed
                    CpuLimit.remove(cpuGroup);
                }
            }));
            baseUrls.add("http://localhost:" + settings.get("camel.server.port"));
        }
        Process inlet = inlets.get(0);
        Path inboxDir = work.resolve("s3").resolve(INBOX);
        Path archiveDir = work.resolve("s3").resolve(ARCHIVE);
        try {
            for (int i = 0; i < inlets.size(); i++) {
                awaitHealthy(inlets.get(i), baseUrls.get(i), work.resolve("inlet-" + i + ".log"));
            }
            if (options.warmupBatches() > 0) {
                Load warmup = Load.send(baseUrls, warmupKey, "warmup", options.clients(), options.records(),
                        options.warmupBatches(), 0, 0);
                ArchiveWatch.await(direct, inlet, archiveDir, warmup.fileKeys(), System.nanoTime(), options.drainLimitSeconds());
                awaitNoManifests(direct, Duration.ofSeconds(options.drainLimitSeconds()));
            }
            if (delay != null) {
                delay.requests().clear();
            }
            if (queueDelay != null) {
                queueDelay.requests().clear();
            }

            InboxSampler inbox = new InboxSampler(inboxDir);
            inbox.start();
            CpuUse.Snapshot cpuAtStart = CpuUse.Snapshot.take(inlets);
            InboxWrites writesAtStart = InboxWrites.read(baseUrls);
            Load load = Load.send(baseUrls, key, TENANT, options.clients(), options.records(), options.batches(),
                    options.durationSeconds(), options.rate());
            InboxWrites writes = InboxWrites.read(baseUrls).since(writesAtStart);
            inbox.markSendingEnded();
            ArchiveWatch archived = ArchiveWatch.await(direct, inlet, archiveDir, load.fileKeys(), load.firstStartNanos(),
                    options.drainLimitSeconds());
            CpuUse cpu = CpuUse.since(cpuAtStart, inlets);
            boolean drained = archived.missing() == 0;
            if (drained) {
                awaitNoManifests(direct, Duration.ofSeconds(60));
            }
            inbox.finish();
            Map<String, Long> s3Requests = delay == null ? new TreeMap<>() : new TreeMap<>(delay.requests().snapshot());
            if (queueDelay != null) {
                s3Requests.putAll(queueDelay.requests().snapshot());
            }
            LakeCheck lake = drained ? LakeCheck.of(direct, load, options.records()) : null;

            report(options, directRoundTrips, delayedRoundTrips, load, writes, archived, lake, cpu, inbox, s3Requests);
            boolean ok = load.failures().isEmpty() && drained && lake.exact();
            for (Process p : inlets) {
                stopInlet(p);
            }
            if (!ok) {
                System.out.println("FAILED; Inlet's log: " + log + " (kept, with the S3 data, in " + work + ")");
                System.exit(1);
            }
        } catch (Exception e) {
            for (Process p : inlets) {
                stopInlet(p);
            }
            System.out.println("Inlet's log: " + log + " (kept, with the S3 data, in " + work + ")");
            throw e;
        } finally {
            if (delay != null) {
                delay.close();
            }
            if (queueDelay != null) {
                queueDelay.close();
            }
            if (queue != null) {
                queue.stop();
            }
            s3.stop();
        }
        deleteTree(work);
    }

    static void report(Options options, RoundTrips direct, RoundTrips delayed, Load load, InboxWrites writes,
            ArchiveWatch archived, LakeCheck lake, CpuUse cpu, InboxSampler inbox, Map<String, Long> s3Requests) {
        long acknowledged = load.fileKeys().size();
        double sendSeconds = (load.lastEndNanos() - load.firstStartNanos()) / 1e9;
        double[] latencies = load.latenciesMillis();
        System.out.println();
        System.out.printf(Locale.ROOT, "baseline, small S3 requests (median of %d): straight to S3Proxy %s%s%n", RoundTrips.COUNT,
                direct, delayed == null ? "" : "; through the delay proxy " + delayed);
        System.out.println();
        System.out.printf(Locale.ROOT, "%-36s %,12d  in %.1f s%n", "upload-json requests", load.sent(), sendSeconds);
        System.out.printf(Locale.ROOT, "%-36s %,12.0f%n", "  requests/s", load.sent() / sendSeconds);
        System.out.printf(Locale.ROOT, "%-36s %12.1f / %.1f / %.1f ms%n", "  latency p50 / p99 / max",
                percentile(latencies, 50), percentile(latencies, 99), latencies.length == 0 ? 0 : latencies[latencies.length - 1]);
        if (options.rate() > 0) {
            System.out.printf(Locale.ROOT, "%-36s %,12d%s%n", "  started late (every client busy)", load.late(),
                    load.late() == 0 ? "" : String.format(Locale.ROOT, "  (worst %.1f ms; more --clients to keep the loop open)",
                            load.worstLateMillis()));
        }
        System.out.printf(Locale.ROOT, "%-36s %,12d%s%n", "  not 200", load.sent() - acknowledged,
                load.failures().isEmpty() ? "" : "  " + load.failures());
        if (writes.count() > 0) {
            // A sender is answered only once the object holding its batch is stored: a closed loop of C clients can
            // send at most C batches per inbox write, however the service groups them.
            System.out.printf(Locale.ROOT, "%-36s %12.1f ms on average (%,d PutObject)%s%n", "  Inlet's inbox writes",
                    writes.meanMillis(), writes.count(), options.rate() > 0 ? "" : String.format(Locale.ROOT,
                            "; %d clients at most %.0f files/s with them", options.clients(),
                            options.clients() * 1000 / writes.meanMillis()));
        } else {
            System.out.printf(Locale.ROOT, "%-36s %12s%n", "  Inlet's inbox writes", "not timed by this jar");
        }
        System.out.printf(Locale.ROOT, "%-36s %12.2f s  %s%n", "first request -> all in the archive", archived.seconds(),
                archived.missing() == 0 ? String.format(Locale.ROOT, "(all %,d listed by S3)", acknowledged)
                        : String.format(Locale.ROOT, "(gave up: %,d of %,d not archived)", archived.missing(), acknowledged));
        double archivedFiles = acknowledged - archived.missing();
        System.out.printf(Locale.ROOT, "%-36s %,12d  (%.1f batches an object)%n", "inbox objects holding them",
                ArchiveWatch.objectsOf(load.fileKeys()).size(), acknowledged / (double) ArchiveWatch.objectsOf(load.fileKeys()).size());
        System.out.printf(Locale.ROOT, "%-36s %12.1f files/s, %,.0f records/s%n", "end to end", archivedFiles / archived.seconds(),
                archivedFiles * options.records() / archived.seconds());
        System.out.printf(Locale.ROOT, "%-36s %s%n", "lake", lake == null ? "not checked (not all archived)" : lake);
        System.out.printf(Locale.ROOT, "%-36s %s%n", "CPU, cores busy on average", cpu);
        System.out.println();
        inbox.report(load.sent() / sendSeconds);
        if (!s3Requests.isEmpty()) {
            System.out.println();
            System.out.printf(Locale.ROOT, "S3 (and queue) requests Inlet sent through the delay proxies while measuring (%,d archived files):%n",
                    (long) archivedFiles);
            long total = 0;
            for (Map.Entry<String, Long> kind : s3Requests.entrySet()) {
                total += kind.getValue();
                System.out.printf(Locale.ROOT, "  %-52s %,9d  %8.2f a file%n", kind.getKey(), kind.getValue(),
                        kind.getValue() / archivedFiles);
            }
            System.out.printf(Locale.ROOT, "  %-52s %,9d  %8.2f a file%n", "all", total, total / archivedFiles);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The load: concurrent clients posting upload-json batches
    // ---------------------------------------------------------------------------------------------------------

    /**
     * What the clients sent and what came back. Batch i carries event ids {@code <run>-<i>-<record>}. In the open loop,
     * {@code late} counts requests that started more than a millisecond after their planned start (every client busy).
     */
    record Load(String run, long firstStartNanos, long lastEndNanos, int sent, List<Answer> answers, Map<String, Integer> failures,
            int late, double worstLateMillis) {

        record Answer(int batch, double millis, String fileKey) {
        }

        /**
         * Either {@code batches} requests, or, when {@code durationSeconds} > 0, as many as fit in that time; sent again as
         * soon as answered, or, when {@code rate} > 0, each at its planned start (open loop).
         */
        static Load send(List<String> baseUrls, String apiKey, String run, int clients, int records, int batches, int durationSeconds,
                double rate) throws InterruptedException {
            long start = System.nanoTime();
            long end = start + TimeUnit.SECONDS.toNanos(durationSeconds);
            Schedule schedule = new Schedule(start, rate);
            AtomicInteger sent = new AtomicInteger();
            AtomicInteger late = new AtomicInteger();
            AtomicLong worstLate = new AtomicLong();
            List<Answer> answers = Collections.synchronizedList(new ArrayList<>());
            Map<String, Integer> failures = new ConcurrentHashMap<>();
            long[] lastEnd = new long[clients];
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                Thread thread = new Thread(() -> {
                    // One connection each: 16 clients are 16 connections, as 16 separate senders would be. Apache's
                    // blocking client sends and reads on this thread; the JDK's HttpClient hands every request to a
                    // selector and an executor thread, 0.3 ms of CPU a request on the cores the service shares.
                    try (CloseableHttpClient http = HttpClients.custom()
                            .setConnectionManager(new BasicHttpClientConnectionManager())
                            .setDefaultRequestConfig(RequestConfig.custom().setConnectTimeout(10_000).setSocketTimeout(60_000).build())
                            .disableAutomaticRetries() // a request that failed is counted, never sent again unseen
                            .build()) {
                        String url = baseUrls.get(client % baseUrls.size()) + "/ingestion/upload-json";
                        while (true) {
                            Schedule.Planned planned = schedule.next();
                            int batch = planned.batch();
                            if (durationSeconds > 0 ? Math.max(planned.startNanos(), System.nanoTime()) >= end : batch >= batches) {
                                break;
                            }
                            HttpPost request = new HttpPost(url);
                            request.setHeader("x-api-key", apiKey);
                            request.setEntity(new ByteArrayEntity(body(run, batch, records).getBytes(StandardCharsets.UTF_8),
                                    ContentType.create("application/json")));
                            long sentAt = System.nanoTime();
                            if (rate > 0) {
                                long early = planned.startNanos() - sentAt;
                                if (early > 0) {
                                    TimeUnit.NANOSECONDS.sleep(early);
                                } else if (-early > TimeUnit.MILLISECONDS.toNanos(1)) {
                                    late.incrementAndGet();
                                    worstLate.accumulateAndGet(-early, Math::max);
                                }
                                // from the planned start: a request held back by busy clients is as late as its sender sees it
                                sentAt = planned.startNanos();
                            }
                            sent.incrementAndGet();
                            try (CloseableHttpResponse response = http.execute(request)) {
                                byte[] answer = EntityUtils.toByteArray(response.getEntity());
                                double millis = (System.nanoTime() - sentAt) / 1e6;
                                if (response.getStatusLine().getStatusCode() == 200) {
                                    answers.add(new Answer(batch, millis, JSON.readTree(answer).get("file_key").asText()));
                                } else {
                                    failures.merge("HTTP " + response.getStatusLine().getStatusCode(), 1, Integer::sum);
                                    answers.add(new Answer(batch, millis, null));
                                }
                            } catch (IOException e) {
                                failures.merge(e.getClass().getSimpleName(), 1, Integer::sum);
                            }
                            lastEnd[client] = System.nanoTime();
                        }
                    } catch (IOException e) {
                        failures.merge(e.getClass().getSimpleName(), 1, Integer::sum);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "client-" + c);
                threads.add(thread);
                thread.start();
            }
            for (Thread thread : threads) {
                thread.join();
            }
            return new Load(run, start, Arrays.stream(lastEnd).max().orElse(start), sent.get(), List.copyOf(answers), failures,
                    late.get(), worstLate.get() / 1e6);
        }

        /**
         * The batches in order, each with its planned start: now (closed loop), or, at a rate, the arrivals of many
         * independent senders: exponential gaps from a fixed seed, so every run plans the same starts.
         */
        static final class Schedule {
            private final double meanGapNanos;
            private final Random gaps = new Random(42);
            private long due;
            private int next;

            Schedule(long start, double rate) {
                this.meanGapNanos = rate > 0 ? 1e9 / rate : 0;
                this.due = start;
            }

            /** A batch and when it is to start (System.nanoTime). */
            record Planned(int batch, long startNanos) {
            }

            synchronized Planned next() {
                Planned planned = new Planned(next++, meanGapNanos > 0 ? due : System.nanoTime());
                if (meanGapNanos > 0) {
                    due += (long) (-Math.log(1 - gaps.nextDouble()) * meanGapNanos);
                }
                return planned;
            }
        }

        static String body(String run, int batch, int records) {
            Random random = new Random(batch);
            StringBuilder body = new StringBuilder(320 * records).append("{\"stream\":\"contact_event\",\"data\":[");
            for (int r = 0; r < records; r++) {
                body.append(r == 0 ? "" : ",").append("{\"event_type\":\"contact_event\",\"event_id\":\"").append(eventId(run, batch, r))
                        .append("\",\"contact_id\":\"ct-").append(random.nextInt(200_000))
                        .append("\",\"event\":\"page_view\",\"event_timestamp\":\"2025-07-01T")
                        .append(String.format(Locale.ROOT, "%02d:%02d:%02dZ", random.nextInt(24), random.nextInt(60), random.nextInt(60)))
                        .append("\",\"event_properties\":{\"page\":\"/pricing\",\"referrer\":\"https://www.google.com/\",")
                        .append("\"utm_source\":\"newsletter\",\"duration_ms\":").append(random.nextInt(120_000))
                        .append(",\"browser\":\"Firefox 133\"}}");
            }
            return body.append("]}").toString();
        }

        static String eventId(String run, int batch, int record) {
            return run + "-" + batch + "-" + record;
        }

        List<String> fileKeys() {
            return answers.stream().map(Answer::fileKey).filter(k -> k != null).toList();
        }

        double[] latenciesMillis() {
            return answers.stream().mapToDouble(Answer::millis).sorted().toArray();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Watching the buckets
    // ---------------------------------------------------------------------------------------------------------

    /**
     * When every acknowledged file key was in the archive (or the limit was reached), confirmed by a listing
     * through S3. The clock is a look for each missing key in S3Proxy's directory for the bucket (it keeps one
     * file per object), at most 10 % of the time: listing through S3 is the authority but a poor clock, as S3Proxy
     * takes about 0.05 s to list 1,000 keys but 26 s to list 28,000, CPU taken from the service being measured.
     */
    record ArchiveWatch(double seconds, int missing) {

        static ArchiveWatch await(S3Client s3, Process inlet, Path archiveDir, List<String> fileKeys, long fromNanos,
                int limitSeconds) throws InterruptedException {
            Set<String> pending = objectsOf(fileKeys);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(limitSeconds);
            while (true) {
                long lookStart = System.nanoTime();
                pending.removeIf(key -> Files.exists(archiveDir.resolve(key)));
                long now = System.nanoTime();
                if (pending.isEmpty() || now > deadline) {
                    if (pending.isEmpty()) {
                        confirmListed(s3, fileKeys);
                    }
                    return new ArchiveWatch((now - fromNanos) / 1e9, pending.size());
                }
                if (!inlet.isAlive()) {
                    throw new IllegalStateException("Inlet exited with " + inlet.exitValue() + " before the archive was complete");
                }
                Thread.sleep(Math.max(50, 9 * (now - lookStart) / 1_000_000));
            }
        }

        /**
         * The inbox objects that hold the acknowledged batches: a batch's own file, or the object it shares with
         * batches sent at the same time (its key is the object's with ".{n}" after the id).
         */
        static Set<String> objectsOf(List<String> fileKeys) {
            Set<String> objects = new HashSet<>();
            for (String key : fileKeys) {
                objects.add(FileKey.parse(key).flatMap(SharedInboxObject::batchOf).map(b -> b.object().key()).orElse(key));
            }
            return objects;
        }

        static void confirmListed(S3Client s3, List<String> fileKeys) {
            Set<String> unlisted = objectsOf(fileKeys);
            Set<String> prefixes = new HashSet<>();
            for (String key : fileKeys) {
                prefixes.add(key.substring(0, key.indexOf("/dt=") + 1));
            }
            for (String prefix : prefixes) {
                for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(ARCHIVE).prefix(prefix)).contents()) {
                    unlisted.remove(object.key());
                }
            }
            if (!unlisted.isEmpty()) {
                throw new IllegalStateException(unlisted.size() + " archived files are on S3Proxy's disk but not in the"
                        + " archive listing, for example " + unlisted.iterator().next());
            }
        }
    }

    /** A batch is done once its manifest is gone, which comes after its files are archived. */
    static void awaitNoManifests(S3Client s3, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (s3.listObjectsV2(b -> b.bucket(LAKE).prefix("_manifests/")).keyCount() > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("batches still unfinished after " + limit);
            }
            Thread.sleep(100);
        }
    }

    /** The inbox object count once a second, from S3Proxy's disk: the backlog the pipeline has not taken yet. */
    static final class InboxSampler extends Thread {
        private final Path inboxDir;
        private final long start = System.nanoTime();
        private final List<double[]> samples = Collections.synchronizedList(new ArrayList<>());
        private volatile double sendingEndedSeconds = -1;
        private volatile boolean stopped;

        InboxSampler(Path inboxDir) {
            this.inboxDir = inboxDir;
            setDaemon(true);
        }

        /** Ends the sampling after the count under way, if any. */
        void finish() throws InterruptedException {
            stopped = true;
            join();
        }

        void markSendingEnded() {
            sendingEndedSeconds = (System.nanoTime() - start) / 1e9;
        }

        @Override
        public void run() {
            for (long second = 1; ; second++) {
                long wait = start + TimeUnit.SECONDS.toNanos(second) - System.nanoTime();
                while (wait > 0 && !stopped) {
                    LockSupport.parkNanos(Math.min(wait, 50_000_000));
                    wait = start + TimeUnit.SECONDS.toNanos(second) - System.nanoTime();
                }
                if (stopped) {
                    return;
                }
                samples.add(new double[] {(System.nanoTime() - start) / 1e9, countObjects(inboxDir)});
            }
        }

        /**
         * Objects in S3Proxy's directory for a bucket (it keeps one file per object): a look at the disk, where a
         * listing through S3 of ten thousand objects takes seconds of CPU.
         */
        private static long countObjects(Path bucketDir) {
            long[] count = {0};
            try {
                Files.walkFileTree(bucketDir, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                        count[0] += attributes.isRegularFile() ? 1 : 0;
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException gone) {
                        // S3Proxy removes a directory when its last object is deleted, possibly while we walk it.
                        return FileVisitResult.CONTINUE;
                    }
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return count[0];
        }

        /** About twenty of the samples, the peak, and over the second half of the sending, the trend. */
        void report(double requestsPerSecond) {
            List<double[]> all = List.copyOf(samples);
            int step = Math.max(1, (int) Math.ceil(all.size() / 20.0));
            StringBuilder shown = new StringBuilder();
            boolean markedEnd = false;
            for (int i = 0; i < all.size(); i += step) {
                if (!markedEnd && all.get(i)[0] > sendingEndedSeconds) {
                    shown.append(" |");
                    markedEnd = true;
                }
                shown.append(String.format(Locale.ROOT, " %.0fs:%,d", all.get(i)[0], (long) all.get(i)[1]));
            }
            System.out.println("inbox objects (| = last request sent):" + shown);
            all.stream().max(Comparator.comparingDouble(sample -> sample[1])).ifPresent(peak ->
                    System.out.printf(Locale.ROOT, "inbox peak %,d objects at %.0f s; last request sent at %.1f s%n",
                            (long) peak[1], peak[0], sendingEndedSeconds));
            List<double[]> secondHalf = all.stream().filter(s -> s[0] >= sendingEndedSeconds / 2 && s[0] <= sendingEndedSeconds).toList();
            if (secondHalf.size() >= 5) {
                double slope = slope(secondHalf);
                boolean grew = slope > Math.max(1, 0.01 * requestsPerSecond);
                System.out.printf(Locale.ROOT, "inbox backlog over the second half of the sending: %+.1f objects/s, %s%n", slope,
                        grew ? "GROWING (the pipeline takes files more slowly than they come)" : "steady");
            }
        }

        /** Least-squares slope of count over time. */
        static double slope(List<double[]> points) {
            double n = points.size();
            double sx = 0;
            double sy = 0;
            double sxx = 0;
            double sxy = 0;
            for (double[] p : points) {
                sx += p[0];
                sy += p[1];
                sxx += p[0] * p[0];
                sxy += p[0] * p[1];
            }
            return (n * sxy - sx * sy) / (n * sxx - sx * sx);
        }
    }

    /** The lake holds exactly the acknowledged batches' event ids, each once. */
    record LakeCheck(long records, long missing, long duplicated, long unexpected) {

        static LakeCheck of(S3Client s3, Load load, int recordsPerBatch) throws IOException {
            // Ids are <run>-<batch>-<record>: one counter per possible id, not a set of millions of strings.
            int batches = load.answers().stream().mapToInt(Load.Answer::batch).max().orElse(-1) + 1;
            byte[] seen = new byte[batches * recordsPerBatch];
            boolean[] acknowledged = new boolean[batches];
            load.answers().stream().filter(a -> a.fileKey() != null).forEach(a -> acknowledged[a.batch()] = true);
            long records = 0;
            long unexpected = 0;
            String prefix = load.run() + "-";
            for (S3Object part : s3.listObjectsV2Paginator(b -> b.bucket(LAKE).prefix("contact_event/tenant=" + TENANT + "/")).contents()) {
                byte[] gzip = s3.getObjectAsBytes(b -> b.bucket(LAKE).key(part.key())).asByteArray();
                String text;
                try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
                    text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                for (String line : text.split("\n")) {
                    if (line.isBlank()) {
                        continue;
                    }
                    records++;
                    String id = JSON.readTree(line).path("event_id").asText();
                    int index = index(id, prefix, batches, recordsPerBatch);
                    if (index < 0 || !acknowledged[index / recordsPerBatch]) {
                        unexpected++;
                    } else if (seen[index] < Byte.MAX_VALUE) {
                        seen[index]++;
                    }
                }
            }
            long missing = 0;
            long duplicated = 0;
            for (int i = 0; i < seen.length; i++) {
                if (acknowledged[i / recordsPerBatch]) {
                    missing += seen[i] == 0 ? 1 : 0;
                    duplicated += seen[i] > 1 ? 1 : 0;
                }
            }
            return new LakeCheck(records, missing, duplicated, unexpected);
        }

        static int index(String id, String prefix, int batches, int recordsPerBatch) {
            if (!id.startsWith(prefix)) {
                return -1;
            }
            String[] parts = id.substring(prefix.length()).split("-");
            try {
                int batch = Integer.parseInt(parts[0]);
                int record = Integer.parseInt(parts[1]);
                return parts.length == 2 && batch < batches && record < recordsPerBatch ? batch * recordsPerBatch + record : -1;
            } catch (RuntimeException malformed) {
                return -1;
            }
        }

        boolean exact() {
            return missing == 0 && duplicated == 0 && unexpected == 0;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%,d records: %s", records, exact() ? "exactly the acknowledged event ids, once each"
                    : String.format(Locale.ROOT, "MISMATCH: %,d missing, %,d more than once, %,d not acknowledged", missing,
                            duplicated, unexpected));
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // S3: S3Proxy in this JVM, the delay in front of it, the baseline round trip
    // ---------------------------------------------------------------------------------------------------------

    static S3Proxy startS3Proxy(Path dir, AwsBasicCredentials credentials) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", Files.createDirectories(dir).toString());
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(BlobStores.create("filesystem", properties))
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V4, credentials.accessKeyId(), credentials.secretAccessKey())
                .build();
        proxy.start();
        while (!proxy.getState().equals("STARTED")) {
            Thread.sleep(10);
        }
        return proxy;
    }

    /** Built like Inlet's own client (io.inlet.storage.S3Clients), so the baseline pays what Inlet's calls pay. */
    static S3Client s3Client(URI endpoint, AwsBasicCredentials credentials) {
        return S3Client.builder()
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(credentials))
                .forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                // no "100 Continue" round trip before a PUT body, as Inlet's client
                .overrideConfiguration(o -> o.addExecutionInterceptor(new ExecutionInterceptor() {
                    @Override
                    public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
                        return context.httpRequest().toBuilder().removeHeader("Expect").build();
                    }
                }))
                .httpClientBuilder(ApacheHttpClient.builder().expectContinueEnabled(false).maxConnections(64))
                .endpointOverride(endpoint)
                .build();
    }

    /** Median round trips of a small PUT and a HEAD through the network Inlet will use, on a warm connection. */
    record RoundTrips(double putMillis, double headMillis) {
        static final int COUNT = 50;

        static RoundTrips measure(S3Client s3, String bucket) {
            byte[] small = new byte[512];
            double[] puts = new double[COUNT];
            double[] heads = new double[COUNT];
            for (int i = -5; i < COUNT; i++) {
                String key = "round-trip-" + i;
                long start = System.nanoTime();
                s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(small));
                long put = System.nanoTime();
                s3.headObject(b -> b.bucket(bucket).key(key));
                long head = System.nanoTime();
                if (i >= 0) {
                    puts[i] = (put - start) / 1e6;
                    heads[i] = (head - put) / 1e6;
                }
            }
            Arrays.sort(puts);
            Arrays.sort(heads);
            return new RoundTrips(percentile(puts, 50), percentile(heads, 50));
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "PUT %.1f ms, HEAD %.1f ms", putMillis, headMillis);
        }
    }

    /**
     * A loopback TCP proxy that forwards every chunk it reads no earlier than the delay after reading it, in
     * order: a network with latency (each direction delayed once), not a slow one (reading goes on while chunks
     * wait). Two pump threads per connection. It also follows the HTTP requests going through it, to count
     * Inlet's S3 calls by kind.
     */
    static final class DelayProxy implements AutoCloseable {
        private final ServerSocket server;
        private final int targetPort;
        private final long delayNanos;
        private final S3RequestCounts requests = new S3RequestCounts();
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();

        private DelayProxy(ServerSocket server, int targetPort, long delayNanos) {
            this.server = server;
            this.targetPort = targetPort;
            this.delayNanos = delayNanos;
        }

        static DelayProxy start(int targetPort, int delayMillis) throws IOException {
            DelayProxy proxy = new DelayProxy(new ServerSocket(0, 128, InetAddress.getLoopbackAddress()), targetPort,
                    TimeUnit.MILLISECONDS.toNanos(delayMillis));
            Thread acceptor = new Thread(proxy::accept, "delay-proxy");
            acceptor.setDaemon(true);
            acceptor.start();
            return proxy;
        }

        int port() {
            return server.getLocalPort();
        }

        S3RequestCounts requests() {
            return requests;
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    Socket target = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                    client.setTcpNoDelay(true);
                    target.setTcpNoDelay(true);
                    open.add(client);
                    open.add(target);
                    AtomicInteger running = new AtomicInteger(2);
                    pump(client, target, new HttpRequestTracker(requests), running);
                    pump(target, client, null, running);
                } catch (IOException e) {
                    if (!server.isClosed()) {
                        System.err.println("delay proxy: " + e);
                    }
                }
            }
        }

        /** Bytes read from one side, to be written to the other once due. */
        private record Chunk(long dueNanos, byte[] bytes) {
        }

        private void pump(Socket from, Socket to, HttpRequestTracker tracker, AtomicInteger running) {
            Thread thread = new Thread(() -> {
                ArrayDeque<Chunk> waiting = new ArrayDeque<>();
                byte[] buffer = new byte[1 << 16];
                try {
                    InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream();
                    boolean ended = false;
                    while (!ended || !waiting.isEmpty()) {
                        long now = System.nanoTime();
                        while (!waiting.isEmpty() && waiting.peek().dueNanos() <= now) {
                            out.write(waiting.poll().bytes());
                        }
                        if (waiting.isEmpty() && ended) {
                            break;
                        }
                        long waitNanos = waiting.isEmpty() ? 0 : waiting.peek().dueNanos() - now;
                        if (ended) {
                            TimeUnit.NANOSECONDS.sleep(waitNanos);
                            continue;
                        }
                        // Read until the oldest waiting chunk is due (0: none waits, block until data comes).
                        from.setSoTimeout(waiting.isEmpty() ? 0 : (int) Math.max(1, (waitNanos + 999_999) / 1_000_000));
                        int n;
                        try {
                            n = in.read(buffer);
                        } catch (SocketTimeoutException due) {
                            continue;
                        }
                        if (n < 0) {
                            ended = true;
                            continue;
                        }
                        waiting.add(new Chunk(System.nanoTime() + delayNanos, Arrays.copyOf(buffer, n)));
                        if (tracker != null) {
                            tracker.accept(buffer, n);
                        }
                    }
                    to.shutdownOutput();
                } catch (IOException | InterruptedException e) {
                    // A reset on either side ends the connection both ways, as it would on a real network.
                    running.set(1);
                } finally {
                    if (running.decrementAndGet() == 0) {
                        closeQuietly(from);
                        closeQuietly(to);
                    }
                }
            }, "delay-pump");
            thread.setDaemon(true);
            thread.start();
        }

        private void closeQuietly(Socket socket) {
            open.remove(socket);
            try {
                socket.close();
            } catch (IOException ignored) {
                // already gone
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            open.forEach(this::closeQuietly);
        }
    }

    /** S3 requests by kind, for example {@code PUT lake _status} or {@code LIST inbox}. */
    static final class S3RequestCounts {
        private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

        void add(String kind) {
            counts.computeIfAbsent(kind, k -> new LongAdder()).increment();
        }

        void clear() {
            counts.clear();
        }

        Map<String, Long> snapshot() {
            Map<String, Long> copy = new TreeMap<>();
            counts.forEach((kind, count) -> copy.put(kind, count.sum()));
            return copy;
        }
    }

    /**
     * Follows the HTTP/1.1 requests of one connection (request heads, then Content-Length bytes of body) and
     * names each as an S3 call. A chunked body is not followed: that connection's later requests count as one
     * "unparsed" entry.
     */
    static final class HttpRequestTracker {
        private final S3RequestCounts counts;
        private final ByteArrayOutputStream head = new ByteArrayOutputStream();
        private long bodyLeft;
        private boolean lost;

        HttpRequestTracker(S3RequestCounts counts) {
            this.counts = counts;
        }

        void accept(byte[] bytes, int length) {
            int i = 0;
            while (i < length && !lost) {
                if (bodyLeft > 0) {
                    int skip = (int) Math.min(bodyLeft, length - i);
                    bodyLeft -= skip;
                    i += skip;
                    continue;
                }
                head.write(bytes[i++]);
                int size = head.size();
                if (size >= 4 && bytes[i - 1] == '\n' && endsWithBlankLine()) {
                    requestHead(head.toString(StandardCharsets.ISO_8859_1));
                    head.reset();
                } else if (size > 64 * 1024) {
                    lost("unparsed (request head over 64 KB)");
                }
            }
        }

        private boolean endsWithBlankLine() {
            byte[] all = head.toByteArray();
            int n = all.length;
            return all[n - 4] == '\r' && all[n - 3] == '\n' && all[n - 2] == '\r' && all[n - 1] == '\n';
        }

        private void requestHead(String text) {
            String[] lines = text.split("\r\n");
            String[] requestLine = lines[0].split(" ");
            Map<String, String> headers = new HashMap<>();
            for (int l = 1; l < lines.length; l++) {
                int colon = lines[l].indexOf(':');
                if (colon > 0) {
                    headers.put(lines[l].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[l].substring(colon + 1).trim());
                }
            }
            // A request that waits for "100 Continue" before sending its body pays a second round trip.
            counts.add(kind(requestLine[0], requestLine.length > 1 ? requestLine[1] : "", headers)
                    + (headers.getOrDefault("expect", "").equalsIgnoreCase("100-continue") ? " (Expect: 100-continue)" : ""));
            if (headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked")) {
                lost("unparsed (chunked body)");
            }
            bodyLeft = Long.parseLong(headers.getOrDefault("content-length", "0"));
        }

        private void lost(String why) {
            lost = true;
            counts.add(why);
        }

        /** {@code METHOD bucket [area]}: the area is a lake key's first segment (_status, _manifests, a stream). */
        static String kind(String method, String target, Map<String, String> headers) {
            int query = target.indexOf('?');
            String path = URLDecoder.decode(query < 0 ? target : target.substring(0, query), StandardCharsets.UTF_8);
            Map<String, String> parameters = new HashMap<>();
            if (query >= 0) {
                for (String parameter : target.substring(query + 1).split("&")) {
                    int eq = parameter.indexOf('=');
                    parameters.put(eq < 0 ? parameter : parameter.substring(0, eq),
                            eq < 0 ? "" : URLDecoder.decode(parameter.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
            String sqsAction = headers.get("x-amz-target");
            if (sqsAction != null) {
                return "SQS " + sqsAction.replaceFirst("^AmazonSQS\\.", "");
            }
            String[] segments = path.replaceFirst("^/", "").split("/", 2);
            String bucket = segments[0].replaceFirst("^inlet-", "");
            String key = segments.length > 1 ? segments[1] : "";
            String operation = method;
            if (headers.containsKey("x-amz-copy-source")) {
                operation = "COPY";
            } else if (method.equals("GET") && key.isEmpty()) {
                operation = "LIST";
                key = parameters.getOrDefault("prefix", "");
            } else if (method.equals("POST") && parameters.containsKey("delete")) {
                operation = "DELETE (multi)";
            } else if (parameters.containsKey("uploadId") || parameters.containsKey("uploads")) {
                operation = method + " (multipart)";
            }
            String area = bucket.equals("lake") && !key.isEmpty() ? " " + key.split("/", 2)[0] : "";
            return operation + " " + bucket + area;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The jar under test, as a process
    // ---------------------------------------------------------------------------------------------------------

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** {@code keys create --tenant <tenant>} against the service's data directory; the key is stdout's last line. */
    static String createKey(Path jar, Path dataDir, Path keysFile, String tenant) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(java(), "-Dinlet.data-dir=" + dataDir, "-Dinlet.keys.file=" + keysFile,
                "-jar", jar.toString(), "keys", "create", "--tenant", tenant).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (process.waitFor() != 0) {
            throw new IllegalStateException("keys create failed:\n" + output);
        }
        String[] lines = output.split("\n");
        return lines[lines.length - 1].strip();
    }

    /** The jar as a process of its own; with a CPU cgroup, started inside it (the JVM sizes itself by its limit). */
    static Process startInlet(Path jar, List<String> jvmOptions, Map<String, String> settings, Path log, Path cpuGroup)
            throws IOException {
        List<String> command = new ArrayList<>();
        if (cpuGroup != null) {
            // the shell joins the group, then becomes the JVM (same pid): nothing runs outside the limit
            command.addAll(List.of("sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", cpuGroup.resolve("cgroup.procs").toString()));
        }
        command.addAll(List.of(java(), "-Xmx512m", "-XX:+ExitOnOutOfMemoryError"));
        command.addAll(jvmOptions);
        settings.forEach((name, value) -> command.add("-D" + name + "=" + value));
        command.addAll(List.of("-jar", jar.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** A CPU cgroup per instance: cgroup v2's cpu.max where the cpu controller is enabled, else v1's cpu hierarchy. */
    static final class CpuLimit {
        private static final long PERIOD_MICROS = 100_000;

        static Path group(int instance, double cpus) throws IOException {
            String name = "inlet-bench-" + ProcessHandle.current().pid() + "-" + instance;
            long quota = Math.round(cpus * PERIOD_MICROS);
            Path v2 = Path.of("/sys/fs/cgroup");
            Path v1 = v2.resolve("cpu");
            if (Files.isRegularFile(v2.resolve("cgroup.subtree_control"))
                    && List.of(Files.readString(v2.resolve("cgroup.subtree_control")).trim().split("\\s+")).contains("cpu")) {
                Path group = Files.createDirectories(v2.resolve(name));
                Files.writeString(group.resolve("cpu.max"), quota + " " + PERIOD_MICROS);
                return group;
            }
            if (Files.isRegularFile(v1.resolve("cpu.cfs_quota_us"))) {
                Path group = Files.createDirectories(v1.resolve(name));
                Files.writeString(group.resolve("cpu.cfs_period_us"), String.valueOf(PERIOD_MICROS));
                Files.writeString(group.resolve("cpu.cfs_quota_us"), String.valueOf(quota));
                return group;
            }
            throw new IllegalStateException("--instance-cpus needs a CPU cgroup this user may create: root, and cgroup v2 "
                    + "with the cpu controller enabled at /sys/fs/cgroup or cgroup v1's /sys/fs/cgroup/cpu");
        }

        static void remove(Path group) {
            try {
                Files.deleteIfExists(group);
            } catch (IOException stillBusy) {
                System.err.println("left behind: " + group + " (" + stillBusy.getMessage() + ")");
            }
        }
    }

    static void awaitHealthy(Process inlet, String baseUrl, Path log) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!inlet.isAlive()) {
                throw new IllegalStateException("Inlet exited with " + inlet.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/observe/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // starting
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("Inlet did not become healthy in 60 s:\n" + Files.readString(log));
    }

    static void stopInlet(Process inlet) throws InterruptedException {
        inlet.destroy();
        if (!inlet.waitFor(30, TimeUnit.SECONDS)) {
            inlet.destroyForcibly();
            inlet.waitFor();
        }
    }

    /**
     * Inlet's own timing of its inbox writes (upload-json's PutObject into the inbox), summed over the instances from
     * their Prometheus meter {@code inlet_s3_request_seconds}: what an inbox write costs on this S3 with this load, the
     * part of a request's latency the service cannot shorten. Zero where the jar under test has no such meter.
     */
    record InboxWrites(long count, double seconds) {

        static final Pattern METER = Pattern.compile("^inlet_s3_request_seconds_(count|sum)\\{([^}]*)}\\s+(\\S+)$");

        static InboxWrites read(List<String> baseUrls) throws InterruptedException {
            HttpClient http = HttpClient.newHttpClient();
            long count = 0;
            double seconds = 0;
            for (String baseUrl : baseUrls) {
                String metrics;
                try {
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/observe/metrics"))
                            .build(), HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() != 200) {
                        return new InboxWrites(0, 0);
                    }
                    metrics = response.body();
                } catch (IOException e) {
                    return new InboxWrites(0, 0);
                }
                for (String line : metrics.split("\n")) {
                    Matcher meter = METER.matcher(line);
                    String labels = meter.matches() ? meter.group(2) : "";
                    if (labels.contains("bucket=\"inbox\"") && labels.contains("operation=\"PutObject\"")
                            && labels.contains("status=\"200\"")) {
                        double value = Double.parseDouble(meter.group(3));
                        if (meter.group(1).equals("count")) {
                            count += (long) value;
                        } else {
                            seconds += value;
                        }
                    }
                }
            }
            return new InboxWrites(count, seconds);
        }

        InboxWrites since(InboxWrites start) {
            return new InboxWrites(count - start.count, seconds - start.seconds);
        }

        double meanMillis() {
            return 1000 * seconds / count;
        }
    }

    /**
     * Where the CPU went while measuring, in cores busy on average: the service, this JVM (S3Proxy, the delay proxy,
     * the clients), and, where /proc/stat tells the machine's total, every other process (on a shared machine, the
     * part of the figures that is someone else's).
     */
    record CpuUse(double inlet, double benchmark, double others, int cores) {

        record Snapshot(long nanos, long inletCpuNanos, long benchmarkCpuNanos, long[] machineTicks) {
            static Snapshot take(List<Process> inlets) {
                long inletNanos = inlets.stream().mapToLong(p -> cpuNanos(p.toHandle())).sum();
                return new Snapshot(System.nanoTime(), inletNanos, cpuNanos(ProcessHandle.current()), readMachineTicks());
            }
        }

        static CpuUse since(Snapshot start, List<Process> inlets) {
            Snapshot end = Snapshot.take(inlets);
            double wall = end.nanos() - start.nanos();
            int cores = Runtime.getRuntime().availableProcessors();
            double inletCores = (end.inletCpuNanos() - start.inletCpuNanos()) / wall;
            double benchmarkCores = (end.benchmarkCpuNanos() - start.benchmarkCpuNanos()) / wall;
            double others = Double.NaN;
            if (start.machineTicks() != null && end.machineTicks() != null) {
                double busy = end.machineTicks()[0] - start.machineTicks()[0];
                double total = end.machineTicks()[1] - start.machineTicks()[1];
                others = Math.max(0, busy / total * cores - inletCores - benchmarkCores);
            }
            return new CpuUse(inletCores, benchmarkCores, others, cores);
        }

        static long cpuNanos(ProcessHandle process) {
            return process.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
        }

        /** Busy and total ticks of all cores from /proc/stat's first line, or null where there is none. */
        static long[] readMachineTicks() {
            try {
                String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
                long total = 0;
                for (int i = 1; i < fields.length; i++) {
                    total += Long.parseLong(fields[i]);
                }
                // idle and iowait are the columns 4 and 5; guest time is already counted in user time.
                long idle = Long.parseLong(fields[4]) + Long.parseLong(fields[5]);
                long guest = fields.length > 10 ? Long.parseLong(fields[9]) + Long.parseLong(fields[10]) : 0;
                return new long[] {total - guest - idle, total - guest};
            } catch (IOException | RuntimeException notLinux) {
                return null;
            }
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "Inlet %.2f, benchmark JVM %.2f, other processes %s (of %d)", inlet, benchmark,
                    Double.isNaN(others) ? "unknown" : String.format(Locale.ROOT, "%.2f", others), cores);
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    static double percentile(double[] sorted, double percent) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(percent / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static final Set<Integer> PORTS_GIVEN = ConcurrentHashMap.newKeySet();

    /**
     * A port for an instance's API, below the range outgoing connections take their local ports from (32768 and up on
     * Linux, 49152 on macOS and Windows): a port the system offers for listening comes from that range, and a
     * connection could take it before the instance, starting for seconds, binds it.
     */
    static int freePort() throws IOException {
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port = 20_000 + ThreadLocalRandom.current().nextInt(12_768);
            if (!PORTS_GIVEN.add(port)) {
                continue; // not yet bound by the instance it was given to
            }
            try (ServerSocket probe = new ServerSocket(port)) {
                return probe.getLocalPort();
            } catch (IOException inUse) {
                // another one
            }
        }
        throw new IOException("No free port found from 20000 to 32767");
    }

    static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}

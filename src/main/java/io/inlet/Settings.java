package io.inlet;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.inlet.tenant.TenantId;
import org.apache.camel.spi.PropertiesComponent;

/**
 * Every {@code inlet.*} setting, read once through Camel's properties component so that
 * {@code config/application.properties}, {@code -Dname=value} and environment variables
 * ({@code INLET_DATA_DIR} for {@code inlet.data-dir}) resolve the same way for the service and the CLI.
 */
public record Settings(
        Path dataDir,
        Path keysFile,
        boolean embeddedS3,
        String embeddedS3Host,
        int embeddedS3Port,
        EmbeddedS3Limits embeddedS3Limits,
        List<String> embeddedS3CorsOrigins,
        String s3Endpoint,
        String s3PublicEndpoint,
        String s3Region,
        Optional<String> s3AccessKey,
        Optional<String> s3SecretKey,
        boolean s3PathStyle,
        String landingBucket,
        String inboxBucket,
        String archiveBucket,
        String lakeBucket,
        long jsonBodyLimit,
        long uploadMaxBytes,
        Duration uploadUrlExpiry,
        Duration uploadExpiryGrace,
        int uploadMaxPending,
        Pipeline pipeline,
        Queue queue,
        Path dropFolderDir,
        Duration httpIdleTimeout,
        Duration httpHeaderTimeout,
        Duration httpBodyTimeout,
        long httpParsingBytes,
        long httpBodyBytesInFlight,
        int httpWaitingPerTenant,
        Keys keys,
        Metrics metrics,
        Limits limits,
        Overload overload,
        Idempotency idempotency,
        SharedInbox sharedInbox,
        int httpWorkerThreads,
        int httpMaxConnections,
        int httpMaxConnectionsPerAddress) {

    /**
     * upload-json batches of one tenant and stream that wait for the same inbox write share the next inbox object:
     * at most {@code maxBatches} (1: never shared) and {@code maxBytes} of records in one; a write first gathers, at
     * most {@code gatherMillis}, as many batches as were under way when the previous write of its tenant and stream
     * ended.
     */
    public record SharedInbox(int maxBatches, long maxBytes, long gatherMillis) {
    }

    /**
     * upload-json's Idempotency-Key: how long a key's first answer is kept (a retry within it gets that answer), and
     * whether and how often this instance deletes expired records (a bucket lifecycle rule may do it instead).
     */
    public record Idempotency(Duration ttl, boolean sweepEnabled, Duration sweepInterval) {
    }

    /** The life of API keys: how long rotated keys stay accepted, how often each key's last use is written. */
    public record Keys(Duration rotationGrace, Duration lastUsedInterval, boolean devTenant) {
    }

    /** Where a tenant's own limits are set: {@code inlet.limits.tenant.<tenant>.<name>}. */
    public static final String TENANT_LIMITS_PREFIX = "inlet.limits.tenant.";

    /**
     * Per-tenant token buckets, per instance: these rates for every tenant, unless the tenant has its own
     * ({@link #tenantRates}).
     */
    public record Limits(boolean enabled, Rates defaults) {

        /** Requests per second on every authenticated call; bytes per second of upload-json bodies and confirmed files. */
        public record Rates(long requestsPerSecond, long requestsBurst, long bytesPerSecond, long bytesBurst) {
        }
    }

    /**
     * When upload-json and confirm-upload refuse new work (503): once the inbox holds more than so many files or
     * bytes, or a file older than the age bound. The inbox is listed at most every check interval.
     */
    public record Overload(
            boolean enabled,
            Duration checkInterval,
            long maxBacklogFiles,
            long maxBacklogBytes,
            Duration maxBacklogAge) {
    }

    /** How much the embedded S3's public port takes on at once, and how slow a client may be. */
    public record EmbeddedS3Limits(
            int maxInFlight,
            int maxPerClient,
            int maxPerTenant,
            long minBytesPerSecond,
            Duration minRateWindow,
            Duration idleTimeout,
            Duration headerTimeout,
            long signedPayloadBytes,
            int maxConnections,
            int maxConnectionsPerAddress) {
    }

    /**
     * The work queue: the embedded SQS server, or an external SQS (AWS, or any SQS-compatible endpoint). A queue
     * URL, when given, is used as is (nothing is asked of the queue at start); otherwise the URL is looked up by
     * name, and the queue created if missing.
     */
    public record Queue(
            boolean embedded,
            String embeddedHost,
            int embeddedPort,
            Optional<String> url,
            String name,
            Optional<String> endpoint,
            String region,
            Optional<String> accessKey,
            Optional<String> secretKey,
            int visibilityTimeoutSeconds,
            int consumers,
            int receiveWaitSeconds,
            boolean announceWrites,
            Duration reconcileInterval,
            Duration reconcileMinAge,
            int reconcileMaxFiles) {
    }

    /**
     * How often the queue's depth is asked for the metrics (the inbox figures come from the backlog's listing), and
     * the token a scrape of {@code /observe/metrics} must carry (empty: only clients on this host may scrape).
     */
    public record Metrics(Duration queueDepthInterval, Optional<String> scrapeToken) {
        @Override
        public String toString() {
            return "Metrics[queueDepthInterval=" + queueDepthInterval
                    + ", scrapeToken=" + scrapeToken.map(t -> "(set)").orElse("(none)") + "]";
        }
    }

    /** Knobs of the inbox → lake pipeline; recorded in each batch manifest so a rerun cuts files the same way. */
    public record Pipeline(
            long maxRecordsPerPart,
            long maxBytesPerPart,
            int maxOpenParts,
            int maxPartsPerFile,
            int freePartsPerFile,
            int recordsPerExtraPart,
            long lakeBufferBytes,
            int gzipLevel,
            int maxLineBytes,
            int rejectedRawBytes,
            long rejectedMaxBytes,
            long smallSourceBytes,
            int maxSourcesPerBatch,
            long maxBatchBytes,
            long smallSourceJsonlBytes,
            long maxExpansionRatio,
            int maxZipEntries,
            Duration statusInterval,
            int workers,
            int checkThreads,
            int s3Concurrency,
            long prefetchBytes,
            int maxAttempts,
            Duration retryDelay,
            Duration batchWindow,
            int smallBatchWorkers,
            Duration leaseTimeout,
            Duration sweepInterval,
            String crashAt) {

        /**
         * Whether a file is large by its stored size: a batch of its own, on the large-file workers, its queue message
         * not kept invisible while it waits. (A small file that inflates far beyond its size moves there later.)
         */
        public boolean isLargeSource(long storedBytes) {
            return storedBytes > smallSourceBytes;
        }
    }

    public static Settings from(PropertiesComponent properties) {
        Reader r = new Reader(properties);
        Path dataDir = Path.of(r.require("inlet.data-dir")).toAbsolutePath().normalize();
        long uploadMaxBytes = r.positive("inlet.upload.max-bytes");
        if (uploadMaxBytes > 5L * 1024 * 1024 * 1024) {
            // confirm-upload moves the file with one CopyObject, which S3 allows up to 5 GiB.
            throw new IllegalArgumentException("inlet.upload.max-bytes can be at most 5 GiB (5368709120)");
        }
        // log4j2 reads it on its own (config/log4j2.properties) and has no log output for any other value
        String logFormat = r.require("inlet.log-format");
        if (!logFormat.equals("text") && !logFormat.equals("json")) {
            throw new IllegalArgumentException("inlet.log-format must be text or json, not '" + logFormat + "'");
        }
        return new Settings(
                dataDir,
                r.optional("inlet.keys.file").map(f -> Path.of(f).toAbsolutePath().normalize())
                        .orElse(dataDir.resolve("api-keys.json")),
                r.bool("inlet.s3.embedded.enabled"),
                r.require("inlet.s3.embedded.host"),
                r.integerBetween("inlet.s3.embedded.port", 1, 65535),
                new EmbeddedS3Limits(
                        r.positiveInt("inlet.s3.embedded.uploads.max-in-flight"),
                        r.positiveInt("inlet.s3.embedded.uploads.max-per-client"),
                        r.positiveInt("inlet.s3.embedded.uploads.max-per-tenant"),
                        r.positive("inlet.s3.embedded.uploads.min-bytes-per-second"),
                        r.positiveDuration("inlet.s3.embedded.uploads.min-rate-window"),
                        r.durationOfAtLeast("inlet.s3.embedded.idle-timeout", Duration.ofSeconds(1)),
                        r.durationOfAtLeast("inlet.s3.embedded.header-timeout", Duration.ofSeconds(1)),
                        r.positive("inlet.s3.embedded.uploads.signed-payload-bytes"),
                        r.positiveInt("inlet.s3.embedded.max-connections"),
                        r.positiveInt("inlet.s3.embedded.max-connections-per-address")),
                r.origins("inlet.s3.embedded.cors-origins"),
                // Empty: AWS S3's own endpoint for the region.
                r.url("inlet.s3.endpoint").orElse(""),
                r.url("inlet.s3.public-endpoint").orElse(r.url("inlet.s3.endpoint").orElse("")),
                r.require("inlet.s3.region"),
                r.optional("inlet.s3.access-key"),
                r.optional("inlet.s3.secret-key"),
                r.bool("inlet.s3.path-style"),
                r.require("inlet.s3.bucket.landing"),
                r.require("inlet.s3.bucket.inbox"),
                r.require("inlet.s3.bucket.archive"),
                r.require("inlet.s3.bucket.lake"),
                r.positive("inlet.upload-json.max-bytes"),
                uploadMaxBytes,
                r.durationBetween("inlet.upload.url-expiry", Duration.ofSeconds(1), Duration.ofDays(7)),
                r.durationOfAtLeast("inlet.upload.expiry-grace", Duration.ZERO),
                // one S3 listing a stream must see them all (1,000 keys at most)
                r.integerBetween("inlet.upload.max-pending", 1, 1000),
                new Pipeline(
                        r.positive("inlet.lake.part.max-records"),
                        r.positive("inlet.lake.part.max-bytes"),
                        r.positiveInt("inlet.lake.max-open-parts"),
                        r.positiveInt("inlet.lake.max-parts-per-file"),
                        r.positiveInt("inlet.lake.free-parts-per-file"),
                        r.positiveInt("inlet.lake.records-per-extra-part"),
                        r.positive("inlet.lake.buffer-bytes"),
                        r.integerBetween("inlet.lake.gzip-level", 0, 9),
                        r.positiveInt("inlet.pipeline.max-line-bytes"),
                        r.integerBetween("inlet.pipeline.rejected-raw-bytes", 0, Integer.MAX_VALUE),
                        r.integerBetween("inlet.pipeline.rejected-max-bytes", 1 << 16, Integer.MAX_VALUE),
                        r.positive("inlet.pipeline.small-source-bytes"),
                        r.positiveInt("inlet.pipeline.batch.max-sources"),
                        r.positive("inlet.pipeline.batch.max-bytes"),
                        r.positive("inlet.pipeline.small-source-jsonl-bytes"),
                        r.positive("inlet.pipeline.max-expansion-ratio"),
                        r.positiveInt("inlet.pipeline.zip.max-entries"),
                        r.positiveDuration("inlet.pipeline.status-interval"),
                        r.positiveInt("inlet.pipeline.workers"),
                        r.positiveInt("inlet.pipeline.check-threads"),
                        r.positiveInt("inlet.pipeline.s3-concurrency"),
                        r.positive("inlet.pipeline.prefetch-bytes"),
                        r.positiveInt("inlet.pipeline.max-attempts"),
                        r.positiveDuration("inlet.pipeline.retry-delay"),
                        r.positiveDuration("inlet.pipeline.batch.window"),
                        r.positiveInt("inlet.pipeline.small-batch-workers"),
                        r.positiveDuration("inlet.pipeline.lease-timeout"),
                        r.positiveDuration("inlet.pipeline.sweep-interval"),
                        r.optional("inlet.testing.crash-at").orElse("")),
                new Queue(
                        r.bool("inlet.queue.embedded.enabled"),
                        r.require("inlet.queue.embedded.host"),
                        r.integerBetween("inlet.queue.embedded.port", 0, 65535),
                        r.optional("inlet.queue.url"),
                        r.require("inlet.queue.name"),
                        r.url("inlet.queue.endpoint"),
                        r.optional("inlet.queue.region").orElse(r.require("inlet.s3.region")),
                        r.optional("inlet.queue.access-key"),
                        r.optional("inlet.queue.secret-key"),
                        // SQS takes 0 to 43,200 s (12 h); 0 would hand every message to every consumer
                        r.integerBetween("inlet.queue.visibility-timeout-seconds", 1, 43_200),
                        r.positiveInt("inlet.queue.consumers"),
                        r.integerBetween("inlet.queue.receive-wait-seconds", 0, 20),
                        r.bool("inlet.queue.announce-writes"),
                        r.positiveDuration("inlet.queue.reconcile-interval"),
                        r.durationOfAtLeast("inlet.queue.reconcile-min-age", Duration.ZERO),
                        r.positiveInt("inlet.queue.reconcile-max-files")),
                Path.of(r.require("inlet.dropfolder.dir")).toAbsolutePath().normalize(),
                r.durationOfAtLeast("inlet.http.idle-timeout", Duration.ofSeconds(1)),
                r.durationOfAtLeast("inlet.http.header-timeout", Duration.ofSeconds(1)),
                r.positiveDuration("inlet.http.body-timeout"),
                r.positive("inlet.http.parsing-bytes"),
                r.positive("inlet.http.body-bytes-in-flight"),
                r.positiveInt("inlet.http.waiting-per-tenant"),
                new Keys(
                        r.durationOfAtLeast("inlet.keys.rotation-grace", Duration.ZERO),
                        r.durationOfAtLeast("inlet.keys.last-used-interval", Duration.ofSeconds(1)),
                        r.bool("inlet.keys.dev-tenant")),
                new Metrics(
                        r.positiveDuration("inlet.metrics.queue-depth-interval"),
                        r.optional("inlet.metrics.token")),
                new Limits(r.bool("inlet.limits.enabled"), new Limits.Rates(
                        r.positive("inlet.limits.requests-per-second"),
                        r.positive("inlet.limits.requests-burst"),
                        r.positive("inlet.limits.bytes-per-second"),
                        r.positive("inlet.limits.bytes-burst"))),
                new Overload(
                        r.bool("inlet.overload.enabled"),
                        r.positiveDuration("inlet.overload.check-interval"),
                        r.positive("inlet.overload.max-backlog-files"),
                        r.positive("inlet.overload.max-backlog-bytes"),
                        r.positiveDuration("inlet.overload.max-backlog-age")),
                new Idempotency(
                        r.positiveDuration("inlet.idempotency.ttl"),
                        r.bool("inlet.idempotency.sweep-enabled"),
                        r.positiveDuration("inlet.idempotency.sweep-interval")),
                new SharedInbox(
                        r.positiveInt("inlet.upload-json.shared.max-batches"),
                        r.positive("inlet.upload-json.shared.max-bytes"),
                        r.integerBetween("inlet.upload-json.shared.gather-ms", 0, 1000)),
                r.positiveInt("inlet.http.worker-threads"),
                r.positiveInt("inlet.http.max-connections"),
                r.positiveInt("inlet.http.max-connections-per-address"));
    }

    /**
     * A tenant's own rates: each of {@code inlet.limits.tenant.<tenant>.requests-per-second}, {@code .requests-burst},
     * {@code .bytes-per-second} and {@code .bytes-burst} that is set (in the properties file, as -D, or as the
     * environment variable INLET_LIMITS_TENANT_<TENANT>_…), the default otherwise.
     */
    public static Limits.Rates tenantRates(PropertiesComponent properties, Limits.Rates defaults, String tenant) {
        Reader r = new Reader(properties);
        String prefix = TENANT_LIMITS_PREFIX + tenant + ".";
        return new Limits.Rates(
                r.positiveOr(prefix + "requests-per-second", defaults.requestsPerSecond()),
                r.positiveOr(prefix + "requests-burst", defaults.requestsBurst()),
                r.positiveOr(prefix + "bytes-per-second", defaults.bytesPerSecond()),
                r.positiveOr(prefix + "bytes-burst", defaults.bytesBurst()));
    }

    /**
     * Tenant limits are read when a tenant is first seen, so a misspelt one would never be noticed: every
     * {@code inlet.limits.tenant.*} key given in the properties file, as an override or as -D, and every
     * {@code INLET_LIMITS_TENANT_*} environment variable, must name a tenant and one of the four rates, with a positive
     * whole number. Returns who has limits of their own: tenant ids, and for environment variables (whose names cannot
     * tell {@code a-b} from {@code a_b}) the variables' tenant part.
     */
    public static SortedSet<String> checkTenantLimitKeys(PropertiesComponent properties) {
        return checkTenantLimitKeys(properties, System.getenv());
    }

    /** As {@link #checkTenantLimitKeys(PropertiesComponent)}, with the environment given. */
    public static SortedSet<String> checkTenantLimitKeys(PropertiesComponent properties, Map<String, String> env) {
        Map<String, String> given = new TreeMap<>();
        properties.loadProperties(key -> key.startsWith(TENANT_LIMITS_PREFIX)).keySet()
                .forEach(key -> given.put(key.toString(), properties.resolveProperty(key.toString()).orElse("")));
        System.getProperties().keySet().forEach(key -> {
            if (key.toString().startsWith(TENANT_LIMITS_PREFIX)) {
                given.put(key.toString(), properties.resolveProperty(key.toString()).orElse(""));
            }
        });
        String rate = "(requests-per-second|requests-burst|bytes-per-second|bytes-burst)";
        SortedSet<String> tenants = new TreeSet<>();
        check(given, Pattern.compile(Pattern.quote(TENANT_LIMITS_PREFIX) + "(" + TenantId.PATTERN + ")\\." + rate),
                "inlet.limits.tenant.<tenant>." + rate.replace("(", "{").replace(")", "}"), tenants);
        Map<String, String> environment = new TreeMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith(TENANT_LIMITS_ENV_PREFIX)) {
                environment.put(name, value);
            }
        });
        String envRate = rate.toUpperCase(Locale.ROOT).replace('-', '_');
        check(environment, Pattern.compile(TENANT_LIMITS_ENV_PREFIX + "([A-Za-z0-9_-]+)_" + envRate),
                TENANT_LIMITS_ENV_PREFIX + "<TENANT>_" + envRate.replace("(", "{").replace(")", "}"), tenants);
        return tenants;
    }

    private static final String TENANT_LIMITS_ENV_PREFIX = "INLET_LIMITS_TENANT_";

    /**
     * The {@code inlet.*} settings given as system properties ({@code -D}) or environment variables ({@code INLET_…})
     * that name no setting of {@code application.properties} (a misspelt name is otherwise ignored without a word,
     * and the default used): said at start, not refused, since other tools may share the prefix (the CLI's
     * {@code INLET_KEY}, say).
     */
    public static List<String> unknownSettings(PropertiesComponent properties) {
        SortedSet<String> known = new TreeSet<>();
        properties.loadProperties(key -> key.startsWith("inlet.")).keySet().forEach(key -> known.add(key.toString()));
        SortedSet<String> knownEnv = new TreeSet<>();
        known.forEach(key -> knownEnv.add(key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_')));
        List<String> unknown = new ArrayList<>();
        // read by log4j (config/log4j2.properties) and by the build (the class archive), not by the service
        known.add("inlet.log-level");
        knownEnv.add("INLET_LOG_LEVEL");
        for (Object key : System.getProperties().keySet()) {
            String name = key.toString();
            if (name.startsWith("inlet.") && !known.contains(name) && !name.startsWith(TENANT_LIMITS_PREFIX)
                    && !name.startsWith("inlet.testing.") && !name.startsWith("inlet.class-archive.")) {
                unknown.add("-D" + name);
            }
        }
        for (String name : System.getenv().keySet()) {
            if (name.startsWith("INLET_") && !knownEnv.contains(name) && !name.startsWith(TENANT_LIMITS_ENV_PREFIX)
                    && !name.equals("INLET_KEY") && !name.startsWith("INLET_TESTING_")) {
                unknown.add(name);
            }
        }
        unknown.sort(null);
        return unknown;
    }

    private static void check(Map<String, String> given, Pattern shape, String expected, SortedSet<String> tenants) {
        for (Map.Entry<String, String> entry : given.entrySet()) {
            Matcher match = shape.matcher(entry.getKey());
            if (!match.matches()) {
                throw new IllegalArgumentException("Setting " + entry.getKey() + " does not name a tenant limit: expected "
                        + expected);
            }
            Reader.positive(entry.getKey(), entry.getValue().trim());
            tenants.add(match.group(1));
        }
    }

    /** API keys (hashes only). Instances that serve the same tenants share this file. */
    public Path keysFile() {
        return keysFile;
    }

    public Path tempDir() {
        return dataDir.resolve("tmp");
    }

    /** Where the embedded S3 keeps its objects, as files. */
    public Path embeddedS3Dir() {
        return dataDir.resolve("s3");
    }

    private static final Pattern ORIGIN = Pattern.compile("https?://[^/?#\\s]+");

    private record Reader(PropertiesComponent properties) {
        Optional<String> optional(String key) {
            return properties.resolveProperty(key).map(String::trim).filter(v -> !v.isEmpty());
        }

        String require(String key) {
            return optional(key).orElseThrow(() -> new IllegalArgumentException("Missing setting " + key));
        }

        Duration durationOfAtLeast(String key, Duration minimum) {
            String value = require(key);
            try {
                Duration duration = Duration.parse(value);
                if (duration.compareTo(minimum) >= 0) {
                    return duration;
                }
            } catch (DateTimeParseException invalid) {
                // said below
            }
            throw new IllegalArgumentException("Setting " + key + " must be an ISO-8601 duration (such as PT24H or PT10M) of "
                    + minimum + " or more, not '" + value + "'");
        }

        Duration durationBetween(String key, Duration minimum, Duration maximum) {
            Duration duration = durationOfAtLeast(key, minimum);
            if (duration.compareTo(maximum) > 0) {
                throw new IllegalArgumentException("Setting " + key + " must be at most " + maximum + ", not '"
                        + require(key) + "'");
            }
            return duration;
        }

        /** An http:// or https:// address with a host, or nothing. */
        Optional<String> url(String key) {
            Optional<String> value = optional(key);
            value.ifPresent(url -> {
                URI uri;
                try {
                    uri = new URI(url);
                } catch (URISyntaxException e) {
                    uri = null;
                }
                if (uri == null || uri.getHost() == null
                        || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
                    throw new IllegalArgumentException("Setting " + key + " must be an http:// or https:// address such"
                            + " as http://localhost:9000, not '" + url + "'");
                }
            });
            return value;
        }

        /** A comma-separated list of web origins ({@code scheme://host[:port]}) or {@code *}; empty: none. */
        List<String> origins(String key) {
            List<String> origins = new ArrayList<>();
            for (String origin : optional(key).orElse("").split(",")) {
                String trimmed = origin.trim();
                if (trimmed.isEmpty()) {
                    continue;
                }
                if (!trimmed.equals("*") && !ORIGIN.matcher(trimmed).matches()) {
                    throw new IllegalArgumentException("Setting " + key + " must list web origins such as "
                            + "http://localhost:8080 (scheme, host and port only) or *, not '" + trimmed + "'");
                }
                origins.add(trimmed);
            }
            return List.copyOf(origins);
        }

        boolean bool(String key) {
            String value = require(key);
            if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
                return Boolean.parseBoolean(value);
            }
            // anything else would be false, silently: "yes" or "1" turning a feature off
            throw new IllegalArgumentException("Setting " + key + " must be true or false, not '" + value + "'");
        }

        int integerBetween(String key, int min, int max) {
            long value = longValue(key);
            if (value < min || value > max) {
                throw new IllegalArgumentException("Setting " + key + " must be from " + min + " to " + max + ", not " + value);
            }
            return (int) value;
        }

        long longValue(String key) {
            return wholeNumber(key, require(key));
        }

        long positive(String key) {
            return positive(key, require(key));
        }

        int positiveInt(String key) {
            long value = positive(key);
            if (value > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("Setting " + key + " must be at most " + Integer.MAX_VALUE + ", not "
                        + value);
            }
            return (int) value;
        }

        long positiveOr(String key, long otherwise) {
            return optional(key).map(value -> positive(key, value)).orElse(otherwise);
        }

        Duration positiveDuration(String key) {
            String value = require(key);
            Duration duration;
            try {
                duration = Duration.parse(value);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("Setting " + key + " must be an ISO-8601 duration such as PT5S, not '"
                        + value + "'");
            }
            if (duration.isZero() || duration.isNegative()) {
                throw new IllegalArgumentException("Setting " + key + " must be longer than zero, not " + value);
            }
            return duration;
        }

        private static long positive(String key, String value) {
            long number = wholeNumber(key, value);
            if (number < 1) {
                throw new IllegalArgumentException("Setting " + key + " must be 1 or more, not " + value);
            }
            return number;
        }

        private static long wholeNumber(String key, String value) {
            try {
                return Long.parseLong(value.replace("_", ""));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Setting " + key + " must be a whole number, not '" + value + "'");
            }
        }
    }
}

package io.inlet;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

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
        Pipeline pipeline,
        Queue queue,
        Path dropFolderDir,
        Duration httpIdleTimeout,
        Duration httpHeaderTimeout) {

    /** How much the embedded S3's public port takes on at once, and how slow a client may be. */
    public record EmbeddedS3Limits(
            int maxInFlight,
            int maxPerClient,
            long minBytesPerSecond,
            Duration minRateWindow,
            Duration idleTimeout,
            Duration headerTimeout) {
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
            boolean announceWrites,
            Duration reconcileInterval,
            Duration reconcileMinAge) {
    }

    /** Knobs of the inbox → lake pipeline; recorded in each batch manifest so a rerun cuts files the same way. */
    public record Pipeline(
            long maxRecordsPerPart,
            long maxBytesPerPart,
            long lakeBufferBytes,
            int gzipLevel,
            int maxLineBytes,
            int rejectedRawBytes,
            long smallSourceBytes,
            int maxSourcesPerBatch,
            long maxBatchBytes,
            long maxExpansionRatio,
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
    }

    public static Settings from(PropertiesComponent properties) {
        Reader r = new Reader(properties);
        Path dataDir = Path.of(r.require("inlet.data-dir")).toAbsolutePath().normalize();
        long uploadMaxBytes = r.longValue("inlet.upload.max-bytes");
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
                r.integer("inlet.s3.embedded.port"),
                new EmbeddedS3Limits(
                        r.integer("inlet.s3.embedded.uploads.max-in-flight"),
                        r.integer("inlet.s3.embedded.uploads.max-per-client"),
                        r.longValue("inlet.s3.embedded.uploads.min-bytes-per-second"),
                        Duration.parse(r.require("inlet.s3.embedded.uploads.min-rate-window")),
                        Duration.parse(r.require("inlet.s3.embedded.idle-timeout")),
                        Duration.parse(r.require("inlet.s3.embedded.header-timeout"))),
                // Empty: AWS S3's own endpoint for the region.
                r.optional("inlet.s3.endpoint").orElse(""),
                r.optional("inlet.s3.public-endpoint").orElse(r.optional("inlet.s3.endpoint").orElse("")),
                r.require("inlet.s3.region"),
                r.optional("inlet.s3.access-key"),
                r.optional("inlet.s3.secret-key"),
                r.bool("inlet.s3.path-style"),
                r.require("inlet.s3.bucket.landing"),
                r.require("inlet.s3.bucket.inbox"),
                r.require("inlet.s3.bucket.archive"),
                r.require("inlet.s3.bucket.lake"),
                r.longValue("inlet.upload-json.max-bytes"),
                uploadMaxBytes,
                Duration.parse(r.require("inlet.upload.url-expiry")),
                new Pipeline(
                        r.longValue("inlet.lake.part.max-records"),
                        r.longValue("inlet.lake.part.max-bytes"),
                        r.longValue("inlet.lake.buffer-bytes"),
                        r.integer("inlet.lake.gzip-level"),
                        r.integer("inlet.pipeline.max-line-bytes"),
                        r.integer("inlet.pipeline.rejected-raw-bytes"),
                        r.longValue("inlet.pipeline.small-source-bytes"),
                        r.integer("inlet.pipeline.batch.max-sources"),
                        r.longValue("inlet.pipeline.batch.max-bytes"),
                        r.longValue("inlet.pipeline.max-expansion-ratio"),
                        Duration.parse(r.require("inlet.pipeline.status-interval")),
                        r.integer("inlet.pipeline.workers"),
                        r.integer("inlet.pipeline.check-threads"),
                        r.integer("inlet.pipeline.s3-concurrency"),
                        r.longValue("inlet.pipeline.prefetch-bytes"),
                        r.integer("inlet.pipeline.max-attempts"),
                        Duration.parse(r.require("inlet.pipeline.retry-delay")),
                        Duration.parse(r.require("inlet.pipeline.batch.window")),
                        r.integer("inlet.pipeline.small-batch-workers"),
                        Duration.parse(r.require("inlet.pipeline.lease-timeout")),
                        Duration.parse(r.require("inlet.pipeline.sweep-interval")),
                        r.optional("inlet.testing.crash-at").orElse("")),
                new Queue(
                        r.bool("inlet.queue.embedded.enabled"),
                        r.require("inlet.queue.embedded.host"),
                        r.integer("inlet.queue.embedded.port"),
                        r.optional("inlet.queue.url"),
                        r.require("inlet.queue.name"),
                        r.optional("inlet.queue.endpoint"),
                        r.optional("inlet.queue.region").orElse(r.require("inlet.s3.region")),
                        r.optional("inlet.queue.access-key"),
                        r.optional("inlet.queue.secret-key"),
                        r.integer("inlet.queue.visibility-timeout-seconds"),
                        r.integer("inlet.queue.consumers"),
                        r.bool("inlet.queue.announce-writes"),
                        Duration.parse(r.require("inlet.queue.reconcile-interval")),
                        Duration.parse(r.require("inlet.queue.reconcile-min-age"))),
                Path.of(r.require("inlet.dropfolder.dir")).toAbsolutePath().normalize(),
                Duration.parse(r.require("inlet.http.idle-timeout")),
                Duration.parse(r.require("inlet.http.header-timeout")));
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

    private record Reader(PropertiesComponent properties) {
        Optional<String> optional(String key) {
            return properties.resolveProperty(key).map(String::trim).filter(v -> !v.isEmpty());
        }

        String require(String key) {
            return optional(key).orElseThrow(() -> new IllegalArgumentException("Missing setting " + key));
        }

        boolean bool(String key) {
            return Boolean.parseBoolean(require(key));
        }

        int integer(String key) {
            return Math.toIntExact(longValue(key));
        }

        long longValue(String key) {
            String value = require(key);
            try {
                return Long.parseLong(value.replace("_", ""));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Setting " + key + " must be a whole number, not '" + value + "'");
            }
        }
    }
}

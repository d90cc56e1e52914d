package io.inlet.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

import io.inlet.Inlet;
import io.inlet.Settings;
import io.inlet.storage.S3Clients;
import io.inlet.tenant.ApiKeys;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * The real service, started in this JVM the way {@code java -jar target/inlet.jar} starts it, configured only
 * through the settings a user would set (here as overrides, the in-process equivalent of -D). Free ports,
 * a fresh data directory, its own buckets on its own embedded S3.
 */
public final class InletApp implements AutoCloseable {

    /** Every port {@link #freePort} gave, so that it never gives one twice. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    /** Every test app's {@code inlet.metrics.token}: tests scrape as a Prometheus on another host would. */
    public static final String SCRAPE_TOKEN = "test-scrape-token";

    private static InletApp shared;

    private final Path dataDir;
    private final Map<String, String> settingsOverrides;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Main main;
    private S3Client s3;
    private Settings settings;

    private InletApp(Path dataDir, Map<String, String> settingsOverrides) {
        this.dataDir = dataDir;
        this.settingsOverrides = settingsOverrides;
    }

    /** One app for the test classes that need nothing special; stopped when the test JVM ends. */
    public static synchronized InletApp shared() {
        if (shared == null) {
            shared = start(Map.of());
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
        }
        return shared;
    }

    /** A new app with extra settings on top of a fresh data directory and free ports. */
    public static InletApp start(Map<String, String> extra) {
        try {
            Path dataDir = Files.createTempDirectory("inlet-test-");
            Map<String, String> props = new HashMap<>();
            props.put("inlet.data-dir", dataDir.toString());
            props.put("inlet.dropfolder.dir", dataDir.resolve("dropfolder").toString());
            props.put("camel.server.port", String.valueOf(freePort()));
            props.put("inlet.s3.embedded.port", String.valueOf(freePort()));
            // Not 0 (any port): the system may hand the queue the port just probed for the API, and a server that
            // binds with SO_REUSEPORT would then share it, answering some API requests as the queue.
            props.put("inlet.queue.embedded.port", String.valueOf(freePort()));
            props.put("inlet.dropfolder.poll-delay-ms", "200");
            // objects written straight into the inbox are found by the reconciliation: look often
            props.put("inlet.queue.reconcile-interval", "PT2S");
            props.put("inlet.queue.reconcile-min-age", "PT0S");
            props.put("inlet.pipeline.sweep-interval", "PT1S");
            // short polls: a stop waits for the poll under way, and Camel looks again only a second later (the tests
            // stop the service about a hundred times)
            props.put("inlet.queue.receive-wait-seconds", "0");
            props.put("inlet.dropfolder.settle-ms", "1000");
            props.put("inlet.metrics.token", SCRAPE_TOKEN);
            props.putAll(extra);
            // A free port can be taken by another process between the probe and the bind (tests of other
            // builds on the same machine): then try again with new ones, unless the test chose the ports.
            for (int attempt = 1; ; attempt++) {
                InletApp app = new InletApp(dataDir, props);
                try {
                    app.startMain();
                    return app;
                } catch (IllegalStateException e) {
                    app.stopMain();
                    boolean portsOurs = !extra.containsKey("camel.server.port") && !extra.containsKey("inlet.s3.embedded.port")
                            && !extra.containsKey("inlet.queue.embedded.port");
                    if (attempt == 3 || !portsOurs || !isPortClash(e)) {
                        throw e;
                    }
                    props.put("camel.server.port", String.valueOf(freePort()));
                    props.put("inlet.s3.embedded.port", String.valueOf(freePort()));
                    props.put("inlet.queue.embedded.port", String.valueOf(freePort()));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isPortClash(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.net.BindException || String.valueOf(t.getMessage()).contains("could not listen")
                    || String.valueOf(t.getMessage()).contains("Address already in use")) {
                return true;
            }
        }
        return false;
    }

    /** The same data directory and settings, started again (to check what survives a restart). */
    public InletApp restart() {
        stopMain();
        startMain();
        return this;
    }

    private void startMain() {
        try {
            main = Inlet.newMain();
            Properties overrides = new Properties();
            overrides.putAll(settingsOverrides);
            main.setOverrideProperties(overrides);
            main.start();
            settings = main.getCamelContext().getRegistry().lookupByNameAndType("settings", Settings.class);
            s3 = S3Clients.client(settings);
        } catch (Exception e) {
            throw new IllegalStateException("Inlet did not start", e);
        }
    }

    private void stopMain() {
        if (s3 != null) {
            s3.close();
            s3 = null;
        }
        if (main != null) {
            try {
                main.stop();
            } catch (Exception ignored) {
                // best effort at the end of a test
            }
            main = null;
        }
    }

    @Override
    public void close() {
        stopMain();
    }

    public CamelContext camel() {
        return main.getCamelContext();
    }

    public Settings settings() {
        return settings;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path dropFolder() {
        return settings.dropFolderDir();
    }

    public String baseUrl() {
        return "http://localhost:" + settingsOverrides.get("camel.server.port");
    }

    public int httpPort() {
        return Integer.parseInt(settingsOverrides.get("camel.server.port"));
    }

    /** An S3 client built from the app's own settings, for looking at buckets the way an operator would. */
    public S3Client s3() {
        return s3;
    }

    /** A new tenant with a fresh key (what {@code keys create} does). */
    public Tenant newTenant(String prefix) {
        return tenant(prefix + "-" + UUID.randomUUID().toString().substring(0, 8));
    }

    /** A key for exactly this tenant id, for settings that name the tenant (inlet.limits.tenant.<id>.*). */
    public Tenant tenant(String tenant) {
        try {
            return new Tenant(tenant, new ApiKeys(settings.keysFile()).create(tenant).key());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public record Tenant(String id, String key) {
    }

    public HttpResponse<String> post(String path, String apiKey, String json) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (apiKey != null) {
            request.header("x-api-key", apiKey);
        }
        return send(request.build());
    }

    public HttpResponse<String> get(String path, String apiKey) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(30)).GET();
        if (apiKey != null) {
            request.header("x-api-key", apiKey);
        }
        return send(request.build());
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public byte[] readObject(String bucket, String key) {
        ResponseBytes<GetObjectResponse> bytes = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key));
        return bytes.asByteArray();
    }

    /**
     * An uploaded file as stored: in the inbox, or in the archive under the same key once the pipeline has
     * processed it (which can happen within a poll interval of the upload).
     */
    public byte[] readUploaded(String fileKey) {
        try {
            return readObject(settings.inboxBucket(), fileKey);
        } catch (NoSuchKeyException processedAlready) {
            return readObject(settings.archiveBucket(), fileKey);
        }
    }

    /**
     * A port nothing listens on now, not handed out before in this JVM, and below the range the system draws the
     * local ports of outgoing connections from (from 32768 on Linux, 49152 on macOS and Windows): a port the system
     * offered for listening came from that range, and any connection made before the process given it bound it could
     * take it (a kill test once lost its embedded queue's port so).
     */
    public static int freePort() {
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port = 20_000 + ThreadLocalRandom.current().nextInt(12_768);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket probe = new ServerSocket(port)) {
                return probe.getLocalPort();
            } catch (IOException inUse) {
                // another one
            }
        }
        throw new IllegalStateException("No free port found from 20000 to 32767");
    }
}

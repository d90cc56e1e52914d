package io.inlet.storage.embedded;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;

import io.inlet.Settings;
import io.inlet.storage.S3Credentials;
import org.apache.camel.support.service.ServiceSupport;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.CrossOriginResourceSharing;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/**
 * The default storage: S3Proxy inside this process, objects as files under {@code ${inlet.data-dir}/s3}.
 * One store, two ways in, so that clients can never starve the service of storage:
 * <ul>
 *   <li>the <b>public port</b> ({@code inlet.s3.embedded.host/port}): presigned uploads and operators' S3 tools,
 *       through the {@link UploadGateway} (signed requests only, bounded concurrency, slow bodies cut off) to
 *       an S3Proxy listener of its own on loopback, which answers only what the gateway forwards
 *       ({@link GatewayOnly});</li>
 *   <li>the <b>service listener</b>: loopback, a free port, its own threads, and a credential pair that exists
 *       only in this process's memory, so nothing outside the process can use it (a presigned URL replayed
 *       against it fails its signature).</li>
 * </ul>
 * Both share a store that keeps every object private and lists only complete objects; writes a crash
 * interrupted are cleaned up before either listener opens.
 */
public final class EmbeddedS3 extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedS3.class);

    private final Settings settings;
    private final AwsBasicCredentials serviceCredentials;
    private S3Proxy serviceListener;
    private S3Proxy uploadListener;
    private UploadGateway gateway;

    public EmbeddedS3(Settings settings) {
        this.settings = settings;
        SecureRandom random = new SecureRandom();
        this.serviceCredentials = AwsBasicCredentials.create(
                "inlet-service-" + HexFormat.of().formatHex(random.generateSeed(8)),
                HexFormat.of().formatHex(random.generateSeed(24)));
    }

    /** Where the service's own S3 client connects. */
    public URI serviceEndpoint() {
        return URI.create("http://127.0.0.1:" + serviceListener.getPort());
    }

    /** Where the gateway forwards the public port's requests to (loopback; answers nothing else). */
    URI uploadListenerEndpoint() {
        return URI.create("http://127.0.0.1:" + uploadListener.getPort());
    }

    /** The in-memory credential pair of the service listener. */
    public AwsBasicCredentials serviceCredentials() {
        return serviceCredentials;
    }

    /** Requests the public port is working on now. */
    public int uploadsInFlight() {
        return gateway.inFlight();
    }

    @Override
    protected void doStart() throws Exception {
        Path baseDir = settings.embeddedS3Dir();
        Files.createDirectories(baseDir);
        Path journal = settings.dataDir().resolve("s3-journal");
        CompleteObjectsBlobStore.recover(baseDir, journal);
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", baseDir.toString());
        BlobStore store = new PrivateBlobStore(
                new CompleteObjectsBlobStore(BlobStores.create("filesystem", properties), baseDir, journal));

        Settings.EmbeddedS3Limits limits = settings.embeddedS3Limits();
        serviceListener = start(S3Proxy.builder()
                .blobStore(store)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V4,
                        serviceCredentials.accessKeyId(), serviceCredentials.secretAccessKey())
                .build(), "service");
        AwsBasicCredentials credentials = S3Credentials.forEmbeddedServer(settings);
        S3Proxy upload = S3Proxy.builder()
                .blobStore(store)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4,
                        credentials.accessKeyId(), credentials.secretAccessKey())
                // every admitted request holds one thread while its body streams in; a few more for Jetty itself
                .jettyMaxThreads(limits.maxInFlight() + 16)
                // what the gateway lets through at most, so the store never reads a larger signed body whole
                .v4MaxNonChunkedRequestSize(limits.signedPayloadBytes())
                .corsRules(uploadsFromBrowsers(settings.embeddedS3CorsOrigins()))
                .build();
        String gatewayToken = GatewayOnly.newToken();
        GatewayOnly.guard(upload, gatewayToken);
        uploadListener = start(upload, "upload");
        gateway = new UploadGateway(uploadListener.getPort(), gatewayToken, new UploadGateway.Limits(limits.maxInFlight(),
                limits.maxPerClient(), limits.maxPerTenant(), limits.minBytesPerSecond(), limits.minRateWindow(), limits.idleTimeout(),
                limits.headerTimeout(), settings.uploadMaxBytes(), limits.signedPayloadBytes(), limits.maxConnections(),
                limits.maxConnectionsPerAddress()),
                new PresignedSignatures(credentials, Clock.systemUTC()), new HeaderSignatures(credentials));
        int port;
        try {
            port = gateway.start(settings.embeddedS3Host(), settings.embeddedS3Port());
        } catch (Exception e) {
            throw new IllegalStateException("Embedded S3 could not listen on " + settings.embeddedS3Host() + ":"
                    + settings.embeddedS3Port() + " (is the port taken? Set inlet.s3.embedded.port)", e);
        }
        LOG.info("Embedded S3 listening on {}:{} with its data in {} (credentials in {})",
                settings.embeddedS3Host(), port, baseDir, settings.dataDir().resolve(S3Credentials.EMBEDDED_FILE));
    }

    /**
     * The console (and any web page of these origins) PUTs files to upload URLs from the browser, on this port: a
     * cross-origin request, which the browser makes only once the port's answer to its preflight names the page's
     * origin. Only PUT, with the headers an upload sends; the signature in the URL still decides what is stored.
     */
    static CrossOriginResourceSharing uploadsFromBrowsers(List<String> origins) {
        if (origins.isEmpty()) {
            return CrossOriginResourceSharing.disabled();
        }
        // S3Proxy takes each origin as a regular expression ("*" alone: any origin)
        List<String> patterns = origins.stream().map(o -> o.equals("*") ? o : Pattern.quote(o)).toList();
        return new CrossOriginResourceSharing(patterns, List.of("PUT"), List.of("content-type", "content-encoding"),
                List.of("etag"), "");
    }

    private static S3Proxy start(S3Proxy proxy, String name) throws Exception {
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!proxy.getState().equals("STARTED")) {
            if (System.nanoTime() > deadline || proxy.getState().equals("FAILED")) {
                throw new IllegalStateException("Embedded S3 (" + name + " listener) did not start (state "
                        + proxy.getState() + ")");
            }
            Thread.sleep(10);
        }
        return proxy;
    }

    @Override
    protected void doStop() throws Exception {
        if (gateway != null) {
            gateway.stop();
            gateway = null;
        }
        for (S3Proxy proxy : new S3Proxy[] {uploadListener, serviceListener}) {
            if (proxy != null) {
                proxy.stop();
            }
        }
        uploadListener = null;
        serviceListener = null;
    }
}

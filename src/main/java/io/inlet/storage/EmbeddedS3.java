package io.inlet.storage;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import io.inlet.Settings;
import org.apache.camel.support.service.ServiceSupport;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/**
 * The default storage: an S3Proxy server inside this process with its objects as files under
 * {@code ${inlet.data-dir}/s3}. The rest of Inlet talks to it over the S3 protocol like any other S3.
 */
public final class EmbeddedS3 extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedS3.class);

    private final Settings settings;
    private S3Proxy proxy;

    public EmbeddedS3(Settings settings) {
        this.settings = settings;
    }

    @Override
    protected void doStart() throws Exception {
        Path baseDir = settings.embeddedS3Dir();
        Files.createDirectories(baseDir);
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", baseDir.toString());
        AwsBasicCredentials credentials = S3Credentials.forEmbeddedServer(settings);
        proxy = S3Proxy.builder()
                .blobStore(BlobStores.create("filesystem", properties))
                .endpoint(URI.create("http://" + settings.embeddedS3Host() + ":" + settings.embeddedS3Port()))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4,
                        credentials.accessKeyId(), credentials.secretAccessKey())
                .build();
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!proxy.getState().equals("STARTED")) {
            if (System.nanoTime() > deadline || proxy.getState().equals("FAILED")) {
                throw new IllegalStateException("Embedded S3 did not start on port " + settings.embeddedS3Port()
                        + " (state " + proxy.getState() + "); is the port taken? Set inlet.s3.embedded.port.");
            }
            Thread.sleep(10);
        }
        LOG.info("Embedded S3 listening on {}:{} with its data in {} (credentials in {})",
                settings.embeddedS3Host(), proxy.getPort(), baseDir,
                settings.dataDir().resolve(S3Credentials.EMBEDDED_FILE));
    }

    @Override
    protected void doStop() throws Exception {
        if (proxy != null) {
            proxy.stop();
            proxy = null;
        }
    }
}

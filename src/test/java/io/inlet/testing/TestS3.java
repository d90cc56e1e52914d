package io.inlet.testing;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;

/** An S3 server of a test's own (S3Proxy in this JVM, signatures checked), for the service to use as external S3. */
public final class TestS3 {

    private TestS3() {
    }

    /** Keeps its objects in {@code dir}, so that it can be stopped and started again with them. */
    public static S3Proxy onDisk(Path dir, int port, String accessKey, String secretKey) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", Files.createDirectories(dir).toString());
        return start("filesystem", properties, port, accessKey, secretKey);
    }

    /** Keeps its objects in memory. */
    public static S3Proxy inMemory(int port, String accessKey, String secretKey) throws Exception {
        return start("transient", new Properties(), port, accessKey, secretKey);
    }

    /**
     * The service's settings for it, reached at {@code endpointPort} (itself, or a proxy in front of it); presigned
     * URLs name it directly.
     */
    public static Map<String, String> settings(int endpointPort, int port, String accessKey, String secretKey) {
        Map<String, String> settings = new HashMap<>();
        settings.put("inlet.s3.embedded.enabled", "false");
        settings.put("inlet.s3.endpoint", "http://127.0.0.1:" + endpointPort);
        settings.put("inlet.s3.public-endpoint", "http://127.0.0.1:" + port);
        settings.put("inlet.s3.access-key", accessKey);
        settings.put("inlet.s3.secret-key", secretKey);
        return settings;
    }

    /** Stops a service, the network in front of S3 and S3, in that order (each may be null: its start failed). */
    public static void stopAll(InletApp app, FaultyHttpProxy network, S3Proxy s3) throws Exception {
        if (app != null) {
            app.close();
        }
        if (network != null) {
            network.close();
        }
        if (s3 != null) {
            s3.stop();
        }
    }

    private static S3Proxy start(String blobStore, Properties properties, int port, String accessKey, String secretKey)
            throws Exception {
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(BlobStores.create(blobStore, properties))
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                .build();
        proxy.start();
        while (!proxy.getState().equals("STARTED")) {
            Thread.sleep(10);
        }
        return proxy;
    }
}

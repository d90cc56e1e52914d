package io.inlet.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;

import io.inlet.Settings;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Where the S3 credentials come from: the configured pair; otherwise, for the embedded S3, a pair
 * generated on first start and kept (owner-only) in the data directory so that nothing secret is
 * committed and local tools can still read the lake; otherwise the AWS default chain.
 */
public final class S3Credentials {

    public static final String EMBEDDED_FILE = "embedded-s3.properties";

    private S3Credentials() {
    }

    public static AwsCredentialsProvider provider(Settings settings) {
        if (settings.s3AccessKey().isPresent() && settings.s3SecretKey().isPresent()) {
            return StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(settings.s3AccessKey().get(), settings.s3SecretKey().get()));
        }
        if (settings.embeddedS3()) {
            return StaticCredentialsProvider.create(embedded(settings.dataDir()));
        }
        return DefaultCredentialsProvider.builder().build();
    }

    /** The embedded server's pair: configured, or read from / generated into the data directory. */
    public static AwsBasicCredentials forEmbeddedServer(Settings settings) {
        if (settings.s3AccessKey().isPresent() && settings.s3SecretKey().isPresent()) {
            return AwsBasicCredentials.create(settings.s3AccessKey().get(), settings.s3SecretKey().get());
        }
        return embedded(settings.dataDir());
    }

    private static synchronized AwsBasicCredentials embedded(Path dataDir) {
        Path file = dataDir.resolve(EMBEDDED_FILE);
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(dataDir);
                SecureRandom random = new SecureRandom();
                Properties generated = new Properties();
                generated.setProperty("aws_access_key_id", "inlet" + HexFormat.of().formatHex(random.generateSeed(8)));
                generated.setProperty("aws_secret_access_key", HexFormat.of().formatHex(random.generateSeed(24)));
                Path tmp = Files.createTempFile(dataDir, ".embedded-s3", ".tmp");
                try {
                    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException notPosix) {
                    // Windows: the directory's ACL applies.
                }
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    generated.store(out, "Credentials of Inlet's embedded S3 (generated; keep private)");
                }
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            }
            Properties stored = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                stored.load(in);
            }
            return AwsBasicCredentials.create(
                    stored.getProperty("aws_access_key_id"), stored.getProperty("aws_secret_access_key"));
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read or create the embedded S3 credentials in " + file, e);
        }
    }
}

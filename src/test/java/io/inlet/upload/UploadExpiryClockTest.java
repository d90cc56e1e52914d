package io.inlet.upload;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;

import io.inlet.Json;
import io.inlet.status.StatusStore;
import io.inlet.status.UploadIndex;
import io.inlet.storage.Buckets;
import io.inlet.storage.S3Objects;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletProcess;
import io.inlet.testing.TestS3;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A marker without a status is an upload whose status may still be being written for a while (no longer than
 * {@link UploadExpiry#STATUS_WRITE_WINDOW}), timed by S3's clock, which dated the marker: an instance whose own clock
 * runs ahead must not take a fresh marker for an old one and remove it under a status being written.
 */
class UploadExpiryClockTest {

    @TempDir
    Path dir;

    private S3Proxy server;

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void aFreshMarkerWithoutStatusStaysWhateverTheInstancesClockSays() throws Exception {
        int port = InletApp.freePort();
        server = TestS3.onDisk(dir, port, "expiry-id", "expiry-secret");
        S3Client s3 = InletProcess.s3Client(TestS3.settings(port, port, "expiry-id", "expiry-secret"));
        Buckets buckets = new Buckets("landing", "inbox", "archive", "lake");
        for (String bucket : new String[] {"landing", "inbox", "archive", "lake"}) {
            s3.createBucket(b -> b.bucket(bucket));
        }
        Clock ahead = Clock.offset(Clock.systemUTC(), UploadExpiry.STATUS_WRITE_WINDOW.plusMinutes(5));
        StatusStore statuses = new StatusStore(s3, "lake", Json.mapper(), ahead, new UploadIndex(s3, "lake"));
        UploadExpiry expiry = new UploadExpiry(s3, buckets, statuses, Duration.ofHours(12), Duration.ofHours(1), ahead,
                new UploadLocks());
        String fileKey = "data/tenants/objects/contact/source_system=dataapi/tenant=acme/dt=2026-11-29-08-00/"
                + UUID.randomUUID() + ".jsonl.gz";
        s3.putObject(b -> b.bucket("lake").key(UploadExpiry.PENDING + fileKey), RequestBody.empty());

        expiry.expire();

        assertThat(S3Objects.head(s3, "lake", UploadExpiry.PENDING + fileKey)).as("the marker, minutes old by S3")
                .isPresent();
        assertThat(expiry.openUploads().count("acme")).as("still one of the tenant's open uploads").isEqualTo(1);
    }
}

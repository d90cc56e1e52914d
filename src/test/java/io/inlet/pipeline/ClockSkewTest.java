package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.inlet.Json;
import io.inlet.testing.InletApp;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Instances judge whether another instance is silent by S3's clock, as S3 dates the heartbeats: an instance whose own
 * clock ran a minute ahead once took nearly every live batch of the others over, and both ran them to the end. The
 * instances here share a bucket of their own on the test service's S3.
 */
class ClockSkewTest {

    static S3Client s3;
    static InletApp app;

    @BeforeAll
    static void start() {
        app = InletApp.shared();
        s3 = app.s3();
    }

    @Test
    void anInstanceWhoseClockRunsAheadLeavesALiveInstancesBatchAlone() {
        String bucket = "skew-" + UUID.randomUUID().toString().substring(0, 8);
        s3.createBucket(b -> b.bucket(bucket));
        Manifests manifests = new Manifests(s3, bucket, Json.mapper());
        Duration lease = Duration.ofSeconds(30);
        BatchSweep live = new BatchSweep(s3, bucket, manifests, Clock.systemUTC(), "i-live", lease);
        live.heartbeat();
        String batchId = BatchManifest.newId(Instant.now());
        manifests.create(BatchManifest.plan(batchId, "i-live", List.of(new BatchManifest.Source("some/file.jsonl", 10)),
                app.settings().pipeline(), Instant.now()));

        for (Duration ahead : List.of(Duration.ofSeconds(45), Duration.ofMinutes(5))) {
            BatchSweep hurried = new BatchSweep(s3, bucket, manifests, Clock.offset(Clock.systemUTC(), ahead), "i-ahead",
                    lease);
            List<BatchManifest> due = hurried.due();

            assertThat(due).as("%s ahead", ahead).isEmpty();
            assertThat(manifests.read(batchId).orElseThrow().owner()).as("%s ahead", ahead).isEqualTo("i-live");
        }
    }
}

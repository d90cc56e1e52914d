package io.inlet.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import io.inlet.Json;
import io.inlet.testing.FaultyHttpProxy;
import io.inlet.testing.FaultyHttpProxy.Fault;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletProcess;
import io.inlet.testing.TestS3;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A write that must not undo another's (progress, a transition two instances may make) goes only over the version of
 * the document it was read or last written as: a stalled run's "processing" never stands over a final status written
 * meanwhile, whatever order the two writes were started in.
 */
class StatusStoreTest {

    private static final String BUCKET = "lake";

    @TempDir
    Path dir;

    private S3Proxy server;
    private int port;
    private StatusStore statuses;
    private final String fileKey = "data/tenants/objects/contact/source_system=dataapi/tenant=acme/dt=2026-11-28-08-00/"
            + UUID.randomUUID() + ".jsonl";

    @BeforeEach
    void start() throws Exception {
        port = InletApp.freePort();
        server = TestS3.onDisk(dir, port, "status-id", "status-secret");
        S3Client s3 = InletProcess.s3Client(TestS3.settings(port, port, "status-id", "status-secret"));
        s3.createBucket(b -> b.bucket(BUCKET));
        statuses = new StatusStore(s3, BUCKET, Json.mapper(), Clock.systemUTC(), new UploadIndex(s3, BUCKET));
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void progressReadBeforeAFinalStatusWasWrittenIsNotWrittenOverIt() {
        statuses.write(UploadStatus.of(fileKey, "acme", "contact", UploadState.QUEUED));
        UploadStatus stalledRun = statuses.read(fileKey).orElseThrow();
        UploadStatus newOwner = statuses.read(fileKey).orElseThrow();

        newOwner.state = UploadState.COMPLETED;
        statuses.write(newOwner);
        stalledRun.startProcessing(100, statuses.now());

        assertThat(statuses.writeIfUnchanged(stalledRun)).isFalse();
        assertThat(statuses.read(fileKey).orElseThrow().state).isEqualTo(UploadState.COMPLETED);
    }

    /**
     * A progress write stored whose answer was lost: the SDK's retry meets the stored write and is refused (412). That
     * is this run's own write, so the run goes on writing its progress (it was refused for the rest of the file).
     */
    @Test
    void aConditionalWriteWhoseAnswerWasLostIsStillTheRunsOwn() throws Exception {
        int proxyPort = InletApp.freePort();
        try (FaultyHttpProxy network = new FaultyHttpProxy(proxyPort, port, Duration.ZERO)) {
            S3Client viaNetwork = InletProcess.s3Client(TestS3.settings(proxyPort, proxyPort, "status-id", "status-secret"));
            StatusStore overNetwork = new StatusStore(viaNetwork, BUCKET, Json.mapper(), Clock.systemUTC(),
                    new UploadIndex(viaNetwork, BUCKET));
            overNetwork.write(UploadStatus.of(fileKey, "acme", "contact", UploadState.QUEUED));
            UploadStatus run = overNetwork.read(fileKey).orElseThrow().startProcessing(100, overNetwork.now());
            AtomicInteger statusPuts = new AtomicInteger();
            network.rule(request -> request.method().equals("PUT") && request.path().contains("/_status/")
                    && statusPuts.getAndIncrement() == 0 ? Fault.LOSE_ANSWER : Fault.NONE);

            assertThat(overNetwork.writeIfUnchanged(run)).isTrue();
            run.bytesRead = 50L;
            assertThat(overNetwork.writeIfUnchanged(run)).isTrue();

            assertThat(statusPuts.get()).as("the lost write, its retry, the next write").isEqualTo(3);
            assertThat(statuses.read(fileKey).orElseThrow().bytesRead).isEqualTo(50L);
        }
    }

    @Test
    void aRunKeepsWritingItsProgressOverItsOwnWrites() {
        statuses.write(UploadStatus.of(fileKey, "acme", "contact", UploadState.QUEUED));
        UploadStatus run = statuses.read(fileKey).orElseThrow().startProcessing(100, statuses.now());

        assertThat(statuses.writeIfUnchanged(run)).isTrue();
        run.bytesRead = 50L;
        assertThat(statuses.writeIfUnchanged(run)).isTrue();
        assertThat(statuses.read(fileKey).orElseThrow().bytesRead).isEqualTo(50L);
    }

    @Test
    void aStatusMadeHereIsWrittenIfUnchangedOnlyWhereThereIsNone() {
        assertThat(statuses.writeIfUnchanged(UploadStatus.of(fileKey, "acme", "contact", UploadState.QUEUED))).isTrue();

        UploadStatus second = UploadStatus.of(fileKey, "acme", "contact", UploadState.PROCESSING);
        assertThat(statuses.writeIfUnchanged(second)).isFalse();
        assertThat(statuses.read(fileKey).orElseThrow().state).isEqualTo(UploadState.QUEUED);
    }
}

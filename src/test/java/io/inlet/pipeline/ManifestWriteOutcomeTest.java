package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.inlet.Json;
import io.inlet.storage.LakeKeys;
import io.inlet.testing.Await;
import io.inlet.testing.BulkClient;
import io.inlet.testing.FaultyHttpProxy;
import io.inlet.testing.FaultyHttpProxy.Fault;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.Lake;
import io.inlet.testing.TestS3;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch's manifest write whose outcome the instance cannot see, as a real S3 and network produce them: stored but
 * the answer lost, lost on the way, or arriving after the claim grace (when the reconciliation gives the batch up and
 * hands its files on). Whatever happened, every acknowledged record reaches the lake exactly once.
 */
class ManifestWriteOutcomeTest {

    // How long the first manifest write is held on its way: longer than the lease (3 s), the reconciliation's look
    // (2 s) and another batch's run together, with room for a loaded machine (8 s was once 0.7 s short with three
    // test forks).
    private static final Duration HELD = Duration.ofSeconds(12);

    @TempDir
    Path s3Dir;

    private S3Proxy s3;
    private FaultyHttpProxy network;
    private InletApp app;
    private Tenant tenant;

    @BeforeEach
    void start() throws Exception {
        int s3Port = InletApp.freePort();
        int proxyPort = InletApp.freePort();
        s3 = TestS3.onDisk(s3Dir, s3Port, "manifest-id", "manifest-secret");
        network = new FaultyHttpProxy(proxyPort, s3Port, HELD);
        Map<String, String> settings = TestS3.settings(proxyPort, s3Port, "manifest-id", "manifest-secret");
        // the claim grace is the lease: a batch not sealed after 3 s is given up by the reconciliation
        settings.put("inlet.pipeline.lease-timeout", "PT3S");
        settings.put("inlet.queue.reconcile-interval", "PT1S");
        settings.put("inlet.queue.visibility-timeout-seconds", "3");
        app = InletApp.start(settings);
        tenant = app.newTenant("manifest");
    }

    @AfterEach
    void stop() throws Exception {
        TestS3.stopAll(app, network, s3);
    }

    @Test
    void aManifestStoredWhoseAnswersWereLostSealsItsBatchOnce() throws Exception {
        AtomicInteger lost = faultOnFirstManifest(Fault.LOSE_ANSWER);

        List<String> ids = sendAndAwaitCompleted("stored");

        assertThat(lost.get()).as("answers of the manifest write lost").isPositive();
        assertExactlyOnceWhenSettled(ids, Duration.ZERO);
    }

    @Test
    void aManifestThatNeverArrivedAbandonsItsBatchAndAnotherTakesTheFilesOver() throws Exception {
        AtomicInteger lost = faultOnFirstManifest(Fault.LOSE_REQUEST);

        List<String> ids = sendAndAwaitCompleted("lost");

        assertThat(lost.get()).as("manifest writes lost on the way").isPositive();
        assertExactlyOnceWhenSettled(ids, Duration.ZERO);
        assertThat(app.s3().listObjectsV2(b -> b.bucket(lake()).prefix(LakeKeys.MANIFEST_PREFIX)).keyCount())
                .as("the abandoned batch's tombstone").isEqualTo(1);
    }

    @Test
    void aManifestArrivingAfterTheClaimGraceCannotSealFilesHandedOnMeanwhile() throws Exception {
        AtomicInteger held = faultOnFirstManifest(Fault.DELAY);

        long sent = System.nanoTime();
        List<String> ids = sendAndAwaitCompleted("late");

        assertThat(held.get()).as("manifest writes held").isPositive();
        assertThat(Duration.ofNanos(System.nanoTime() - sent)).as("completed by another batch while the first waited")
                .isLessThan(HELD);
        // the held write reaches S3 only now: it must find the batch abandoned, not seal it a second time
        assertExactlyOnceWhenSettled(ids, HELD);
    }

    /**
     * The first batch manifest written gets the fault, each of the S3 client's attempts (four) at writing it; later
     * writes of it (a takeover) go through.
     */
    private AtomicInteger faultOnFirstManifest(Fault fault) {
        AtomicReference<String> first = new AtomicReference<>();
        AtomicInteger faulted = new AtomicInteger();
        network.rule(request -> {
            boolean manifest = request.method().equals("PUT") && request.path().contains("/" + LakeKeys.MANIFEST_PREFIX)
                    && !request.hasHeader("x-amz-meta-" + LakeKeys.ABANDONED_METADATA);
            if (manifest && (first.compareAndSet(null, request.path()) || first.get().equals(request.path()))
                    && faulted.incrementAndGet() <= 4) {
                return fault;
            }
            return Fault.NONE;
        });
        return faulted;
    }

    /** One upload-json batch, acknowledged, then processed to the end; its event ids. */
    private List<String> sendAndAwaitCompleted(String name) throws Exception {
        List<String> ids = new ArrayList<>();
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            String id = name + "-" + i;
            ids.add(id);
            data.append(i == 0 ? "" : ",").append("{\"contact_id\":\"").append(id).append("\",\"email\":\"").append(id)
                    .append("@acme.com\",\"contact_properties\":{}}");
        }
        HttpResponse<String> response = app.post("/ingestion/upload-json", tenant.key(),
                "{\"stream\":\"contact\",\"data\":[" + data + "]}");
        assertThat(response.statusCode()).isEqualTo(200);
        String fileKey = Json.mapper().readTree(response.body()).get("file_key").asText();
        assertThat(new BulkClient(app.baseUrl()).awaitFinal(tenant.key(), fileKey, Duration.ofSeconds(60))
                .get("state").asText()).isEqualTo("completed");
        return ids;
    }

    /**
     * Once no batch is left unfinished and the inbox is empty, and at least {@code atLeast} after now (a write held
     * until then has landed), then twice the lease more (a batch the sweep would take over has run): the lake holds
     * each id once.
     */
    private void assertExactlyOnceWhenSettled(List<String> ids, Duration atLeast) throws InterruptedException {
        long earliest = System.nanoTime() + atLeast.toNanos();
        Await.until("inbox empty and no batch unfinished", Duration.ofSeconds(60),
                () -> System.nanoTime() > earliest && Lake.unfinishedBatches(app.s3(), lake()).isEmpty()
                        && app.s3().listObjectsV2(b -> b.bucket(app.settings().inboxBucket())).keyCount() == 0);
        Thread.sleep(app.settings().pipeline().leaseTimeout().multipliedBy(2).toMillis());
        assertThat(Lake.unfinishedBatches(app.s3(), lake())).isEmpty();
        assertThat(Lake.sorted(Lake.values(Lake.records(app.s3(), lake(), "contact/tenant=" + tenant.id() + "/"),
                "contact_id"))).isEqualTo(Lake.sorted(ids));
        assertThat(app.s3().listObjectsV2(b -> b.bucket(lake()).prefix(LakeKeys.CLAIM_PREFIX)).keyCount())
                .as("claims left").isZero();
    }

    private String lake() {
        return app.settings().lakeBucket();
    }
}

package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.testing.BulkClient;
import io.inlet.testing.FaultyHttpProxy;
import io.inlet.testing.FaultyHttpProxy.Fault;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.Lake;
import io.inlet.testing.TestS3;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * A batch whose attempts all fail on S3 (not on a file) is given up: its files are marked failed and archived, and
 * every part an attempt wrote is withdrawn (left empty and marked, so that no stalled run can put it back): no record
 * of a failed file stays in the lake.
 */
class GiveUpTest {

    @TempDir
    Path s3Dir;

    private S3Proxy s3;
    private FaultyHttpProxy network;
    private InletApp app;

    @AfterEach
    void stop() throws Exception {
        TestS3.stopAll(app, network, s3);
    }

    @Test
    void aBatchGivenUpWithdrawsEveryPartItsAttemptsWrote() throws Exception {
        int s3Port = InletApp.freePort();
        int proxyPort = InletApp.freePort();
        s3 = TestS3.onDisk(s3Dir, s3Port, "giveup-id", "giveup-secret");
        network = new FaultyHttpProxy(proxyPort, s3Port, Duration.ofSeconds(1));
        Map<String, String> settings = TestS3.settings(proxyPort, s3Port, "giveup-id", "giveup-secret");
        settings.put("inlet.pipeline.max-attempts", "1");
        settings.put("inlet.pipeline.retry-delay", "PT1S");
        settings.put("inlet.lake.part.max-records", "5");
        app = InletApp.start(settings);
        Tenant tenant = app.newTenant("giveup");
        // the first part goes through; every later one meets a write of its name under way (409), attempt after
        // attempt; what withdraws parts goes through
        AtomicInteger parts = new AtomicInteger();
        network.rule(request -> request.method().equals("PUT") && request.path().contains("/part-")
                && !request.hasHeader("x-amz-meta-inlet-withdrawn") && parts.incrementAndGet() > 1
                ? Fault.CONFLICT : Fault.NONE);
        StringBuilder contacts = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            contacts.append("{\"contact_id\":\"gu-").append(i).append("\",\"email\":\"gu").append(i)
                    .append("@acme.com\",\"contact_properties\":{}}\n");
        }
        String key = "data/tenants/objects/contact/source_system=crm/tenant=" + tenant.id() + "/dt=2026-01-02-03-04/gu.jsonl";
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key), RequestBody.fromString(contacts.toString()));

        JsonNode status = new BulkClient(app.baseUrl()).awaitFinal(tenant.key(), key, Duration.ofSeconds(120));

        assertThat(status.get("state").asText()).isEqualTo("failed");
        assertThat(status.path("lake_keys").isMissingNode() || status.path("lake_keys").isNull()).as(status.toString()).isTrue();
        assertThat(status.path("records_accepted").asLong()).isZero();
        String lake = app.settings().lakeBucket();
        List<String> written = Lake.partKeys(app.s3(), lake, "contact/tenant=" + tenant.id() + "/");
        assertThat(written).as("the part the first attempt wrote").isNotEmpty().allSatisfy(part -> {
            assertThat(app.s3().headObject(b -> b.bucket(lake).key(part)).metadata()).containsEntry(BatchParts.WITHDRAWN, "true");
            assertThat(Lake.gzipJsonLines(app.s3(), lake, part)).isEmpty();
        });
        assertThat(app.s3().headObject(b -> b.bucket(app.settings().archiveBucket()).key(key)).contentLength())
                .as("kept in the archive").isEqualTo(contacts.length());
    }
}

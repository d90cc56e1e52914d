package io.inlet.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.inlet.Json;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.Test;

/**
 * The queue is an external server (an SQS-compatible one started here) that goes away for a while: uploads
 * are still acknowledged once durable in S3, and everything is processed once the queue is back.
 */
class QueueOutageTest {

    @Test
    void uploadsAreAcknowledgedWhileTheQueueIsDownAndProcessedWhenItReturns() throws Exception {
        int port = InletApp.freePort();
        EmbeddedQueue queue = new EmbeddedQueue("127.0.0.1", port);
        queue.start();
        try (InletApp app = InletApp.start(Map.of(
                "inlet.queue.embedded.enabled", "false",
                "inlet.queue.endpoint", "http://127.0.0.1:" + port,
                "inlet.queue.access-key", "test",
                "inlet.queue.secret-key", "test"))) {
            Tenant tenant = app.newTenant("outage");
            BulkClient client = new BulkClient(app.baseUrl());
            assertThat(client.awaitFinal(tenant.key(), post(app, tenant, "before"), Duration.ofSeconds(30))
                    .get("state").asText()).isEqualTo("completed");

            queue.stop();
            List<String> during = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                during.add(post(app, tenant, "during-" + i));
            }
            for (String fileKey : during) {
                assertThat(app.s3().headObject(b -> b.bucket(app.settings().inboxBucket()).key(fileKey)).contentLength())
                        .as("durable in the inbox while the queue is down").isPositive();
            }
            Thread.sleep(3_000);
            assertThat(client.status(tenant.key(), during.get(0)).body()).doesNotContain("\"completed\"");

            // Back, empty (an in-memory server restarted, as a storage process's after a kill): the service makes
            // its queue again by itself, and the reconciliation announces what the lost messages did.
            queue = new EmbeddedQueue("127.0.0.1", port);
            queue.start();
            for (String fileKey : during) {
                assertThat(client.awaitFinal(tenant.key(), fileKey, Duration.ofSeconds(60)).get("state").asText())
                        .isEqualTo("completed");
            }
            List<String> ids = Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(),
                    "contact/tenant=" + tenant.id() + "/"), "contact_id");
            assertThat(ids).containsExactlyInAnyOrder("before", "during-0", "during-1", "during-2", "during-3", "during-4");
        } finally {
            queue.stop();
        }
    }

    private static String post(InletApp app, Tenant tenant, String id) throws Exception {
        HttpResponse<String> response = app.post("/ingestion/upload-json", tenant.key(),
                "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"" + id + "\",\"email\":\"" + id
                        + "@acme.com\",\"contact_properties\":{}}]}");
        assertThat(response.statusCode()).isEqualTo(200);
        return Json.mapper().readTree(response.body()).get("file_key").asText();
    }
}

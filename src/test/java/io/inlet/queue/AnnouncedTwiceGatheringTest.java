package io.inlet.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * On AWS a file is announced twice as a rule (the bucket's S3 event notification and the service's own message; at
 * start the reconciliation's too). A batch is full at batch.max-sources distinct files, not announcements: counted
 * by announcement, a batch of four held two files, and a file gathered last could wait a whole window alone.
 */
class AnnouncedTwiceGatheringTest {

    @Test
    void filesAnnouncedTwiceFillABatchByDistinctFiles() {
        int queuePort = InletApp.freePort();
        try (InletApp app = InletApp.start(Map.of("inlet.queue.embedded.port", String.valueOf(queuePort),
                "inlet.queue.reconcile-interval", "PT1H", "inlet.pipeline.batch.max-sources", "4",
                "inlet.pipeline.batch.window", "PT60S"));
                SqsClient sqs = WorkQueue.client(app.settings().queue(), URI.create("http://127.0.0.1:" + queuePort))) {
            String queueUrl = sqs.getQueueUrl(b -> b.queueName(app.settings().queue().name())).queueUrl();
            Tenant tenant = app.newTenant("twice");
            BulkClient client = new BulkClient(app.baseUrl());
            List<String> keys = List.of("a", "b", "c", "d").stream().map(name -> "data/tenants/objects/contact/"
                    + "source_system=crm/tenant=" + tenant.id() + "/dt=2026-01-02-03-04/" + name + ".jsonl").toList();
            for (String key : keys) {
                String line = "{\"contact_id\":\"" + key.hashCode() + "\",\"email\":\"x@acme.com\",\"contact_properties\":{}}\n";
                app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key),
                        RequestBody.fromString(line, StandardCharsets.UTF_8));
                String event = WorkQueueTest.s3Event(app.settings().inboxBucket(), key, line.length());
                sqs.sendMessage(b -> b.queueUrl(queueUrl).messageBody(event));
                sqs.sendMessage(b -> b.queueUrl(queueUrl).messageBody(event));
            }

            Set<Set<String>> partsOfEach = new HashSet<>();
            for (String key : keys) {
                // well within the window: the batch is full once it has the four files
                JsonNode status = client.awaitFinal(tenant.key(), key, Duration.ofSeconds(30));
                assertThat(status.get("state").asText()).isEqualTo("completed");
                Set<String> parts = new HashSet<>();
                status.get("lake_keys").forEach(part -> parts.add(part.asText()));
                partsOfEach.add(parts);
            }
            assertThat(partsOfEach).as("the four files' parts: one batch wrote them").hasSize(1);
        }
    }
}

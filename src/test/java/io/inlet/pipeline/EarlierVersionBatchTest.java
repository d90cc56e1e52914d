package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.Json;
import io.inlet.storage.LakeKeys;
import io.inlet.storage.S3Objects;
import io.inlet.testing.Await;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * A batch the previous release sealed may hold an inbox key whose dt is no real minute (that release took such keys
 * for files; this one leaves them in the inbox). Upgraded with such a batch pending, this version failed it at every
 * attempt, could not record its failure either, and retried it for good: the other files in it, acknowledged ones
 * too, never reached the lake. It runs to the end now, the odd key with the rest.
 */
class EarlierVersionBatchTest {

    @Test
    void aBatchAnEarlierVersionSealedWithAKeyOfNoRealDayRunsToTheEnd() throws Exception {
        try (InletApp app = InletApp.start(Map.of("inlet.pipeline.lease-timeout", "PT2S",
                "inlet.pipeline.sweep-interval", "PT1S", "inlet.queue.reconcile-interval", "PT1H"))) {
            Tenant tenant = app.newTenant("earlier");
            String dir = "data/tenants/objects/contact/source_system=crm/tenant=" + tenant.id();
            String noDay = dir + "/dt=2025-02-30-10-00/old.jsonl";
            String good = dir + "/dt=2026-01-02-03-04/good.jsonl";
            String inbox = app.settings().inboxBucket();
            String lake = app.settings().lakeBucket();
            for (String key : List.of(noDay, good)) {
                String id = key.substring(key.lastIndexOf('/') + 1, key.indexOf(".jsonl"));
                app.s3().putObject(b -> b.bucket(inbox).key(key), RequestBody.fromString(
                        "{\"contact_id\":\"" + id + "\",\"email\":\"" + id + "@acme.com\",\"contact_properties\":{}}\n"));
            }
            // as the earlier version left it: claimed and sealed by an instance that is gone
            Manifests manifests = new Manifests(app.s3(), lake, Json.mapper());
            Claims claims = new Claims(app.s3(), lake, manifests);
            String batchId = BatchManifest.newId(Instant.now());
            assertThat(claims.claim(noDay, batchId)).isTrue();
            assertThat(claims.claim(good, batchId)).isTrue();
            manifests.create(BatchManifest.plan(batchId, "i-earlier-release", List.of(
                    new BatchManifest.Source(noDay, 80), new BatchManifest.Source(good, 82)), app.settings().pipeline(),
                    Instant.now()));

            BulkClient client = new BulkClient(app.baseUrl());
            assertThat(client.awaitFinal(tenant.key(), good, Duration.ofSeconds(60)).get("state").asText())
                    .isEqualTo("completed");
            Await.until("the batch finished", Duration.ofSeconds(30), () -> manifests.read(batchId).isEmpty());
            JsonNode oddStatus = Json.mapper().readTree(app.s3().getObjectAsBytes(b -> b.bucket(lake)
                    .key(LakeKeys.status(noDay))).asByteArray());
            assertThat(oddStatus.get("state").asText()).isEqualTo("completed");
            assertThat(Lake.values(Lake.records(app.s3(), lake, "contact/tenant=" + tenant.id() + "/"), "contact_id"))
                    .containsExactlyInAnyOrder("old", "good");
            for (String key : List.of(noDay, good)) {
                assertThat(S3Objects.head(app.s3(), inbox, key)).as(key).isEmpty();
                assertThat(S3Objects.head(app.s3(), app.settings().archiveBucket(), key)).as(key).isPresent();
            }
        }
    }
}

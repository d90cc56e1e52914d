package io.inlet.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.Json;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.localstack.LocalStackContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The three ways in and the pipeline against LocalStack's S3 and SQS (the work queue external, as on AWS). Needs
 * a Docker engine and skips itself without one; the same flows run without Docker against the embedded S3 and
 * queue (UploadJsonTest, BulkUploadTest, InboxPipelineTest), an external S3Proxy (ExternalS3Test) and an
 * external queue (QueueOutageTest, ManyInstancesIT).
 */
@Testcontainers(disabledWithoutDocker = true)
class LocalStackTest {

    @Container
    static final LocalStackContainer LOCALSTACK = new LocalStackContainer(DockerImageName.parse("localstack/localstack:3.8"))
            .withServices(LocalStackContainer.Service.S3, LocalStackContainer.Service.SQS);

    static InletApp app;
    static BulkClient client;

    @BeforeAll
    static void start() {
        String s3 = LOCALSTACK.getEndpointOverride(LocalStackContainer.Service.S3).toString();
        String sqs = LOCALSTACK.getEndpointOverride(LocalStackContainer.Service.SQS).toString();
        Map<String, String> settings = new HashMap<>();
        settings.put("inlet.s3.embedded.enabled", "false");
        settings.put("inlet.s3.endpoint", s3);
        settings.put("inlet.s3.public-endpoint", s3);
        settings.put("inlet.s3.region", LOCALSTACK.getRegion());
        settings.put("inlet.s3.access-key", LOCALSTACK.getAccessKey());
        settings.put("inlet.s3.secret-key", LOCALSTACK.getSecretKey());
        settings.put("inlet.queue.embedded.enabled", "false");
        settings.put("inlet.queue.endpoint", sqs);
        settings.put("inlet.queue.region", LOCALSTACK.getRegion());
        settings.put("inlet.queue.access-key", LOCALSTACK.getAccessKey());
        settings.put("inlet.queue.secret-key", LOCALSTACK.getSecretKey());
        settings.put("inlet.queue.name", "inlet-localstack");
        app = InletApp.start(settings);
        client = new BulkClient(app.baseUrl());
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void uploadJsonReachesTheLakeThroughTheQueue() throws IOException {
        Tenant tenant = app.newTenant("localstack");

        HttpResponse<String> upload = app.post("/ingestion/upload-json", tenant.key(),
                "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"ls-1\",\"email\":\"a@acme.com\",\"contact_properties\":{}}]}");

        assertThat(upload.statusCode()).as(upload.body()).isEqualTo(200);
        String fileKey = Json.mapper().readTree(upload.body()).get("file_key").asText();
        assertThat(client.awaitFinal(tenant.key(), fileKey, Duration.ofSeconds(60)).get("state").asText()).isEqualTo("completed");
        assertThat(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(), "contact/tenant=" + tenant.id() + "/"),
                "contact_id")).containsExactly("ls-1");
    }

    @Test
    void aPresignedUploadReachesTheLake(@TempDir Path dir) throws IOException {
        Tenant tenant = app.newTenant("localstack-bulk");
        JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "ls", 2_000, 100, true);
        BulkClient.Upload upload = client.requestUrl(tenant.key(), "contact_event");

        assertThat(client.put(upload.uploadUrl(), file.path())).isEqualTo(200);
        assertThat(client.confirm(tenant.key(), upload.fileKey()).statusCode()).isEqualTo(200);

        JsonNode status = client.awaitFinal(tenant.key(), upload.fileKey(), Duration.ofSeconds(60));
        assertThat(status.get("state").asText()).isEqualTo("completed_with_errors");
        assertThat(status.get("records_accepted").asLong() + status.get("records_rejected").asLong()).isEqualTo(2_000);
        assertThat(status.get("records_rejected").asLong()).isEqualTo(20);
    }

    @Test
    void aFileWrittenStraightIntoTheInboxIsFoundByTheReconciliation() {
        Tenant tenant = app.newTenant("localstack-writer");
        String key = "data/tenants/objects/account/source_system=crm-export/tenant=" + tenant.id()
                + "/dt=2025-01-31-23-59/nightly.jsonl";
        app.s3().putObject(b -> b.bucket(app.settings().inboxBucket()).key(key),
                RequestBody.fromString("{\"account_id\":\"a-1\",\"domain\":\"one.com\",\"account_properties\":{}}\n"));

        assertThat(client.awaitFinal(tenant.key(), key, Duration.ofSeconds(60)).get("state").asText()).isEqualTo("completed");
        assertThat(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(), "account/tenant=" + tenant.id() + "/"),
                "account_id")).isEqualTo(List.of("a-1"));
    }
}

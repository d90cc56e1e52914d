package io.inlet.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.Map;

import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.localstack.LocalStackContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

/**
 * The upload-json flow against LocalStack's S3. Needs a Docker engine and skips itself without one; the same
 * flow runs without Docker against the embedded S3 (UploadJsonTest) and an external S3Proxy (ExternalS3Test).
 */
@Testcontainers(disabledWithoutDocker = true)
class LocalStackTest {

    @Container
    static final LocalStackContainer LOCALSTACK = new LocalStackContainer(DockerImageName.parse("localstack/localstack:3.8"))
            .withServices(LocalStackContainer.Service.S3);

    @Test
    void uploadJsonWritesToLocalStack() {
        String endpoint = LOCALSTACK.getEndpointOverride(LocalStackContainer.Service.S3).toString();
        try (InletApp app = InletApp.start(Map.of(
                "inlet.s3.embedded.enabled", "false",
                "inlet.s3.endpoint", endpoint,
                "inlet.s3.public-endpoint", endpoint,
                "inlet.s3.region", LOCALSTACK.getRegion(),
                "inlet.s3.access-key", LOCALSTACK.getAccessKey(),
                "inlet.s3.secret-key", LOCALSTACK.getSecretKey()))) {
            Tenant tenant = app.newTenant("localstack");

            HttpResponse<String> upload = app.post("/ingestion/upload-json", tenant.key(),
                    "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"1\",\"email\":\"a@acme.com\",\"contact_properties\":{}}]}");

            assertThat(upload.statusCode()).as(upload.body()).isEqualTo(200);
            String fileKey = upload.body().replaceAll(".*\"file_key\":\"([^\"]+)\".*", "$1");
            assertThat(S3Objects.head(app.s3(), app.settings().inboxBucket(), fileKey)
                    .or(() -> S3Objects.head(app.s3(), app.settings().archiveBucket(), fileKey))).isPresent();
        }
    }
}

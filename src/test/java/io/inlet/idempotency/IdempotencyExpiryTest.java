package io.inlet.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import io.inlet.Json;
import io.inlet.storage.LakeKeys;
import io.inlet.testing.Await;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import org.junit.jupiter.api.Test;

/**
 * An Idempotency-Key is remembered for inlet.idempotency.ttl only: after it, the same key and body are a new
 * request, and the sweep deletes the expired records. (A TTL of one second here; the sweep started by hand.)
 */
class IdempotencyExpiryTest {

    private static final String CONTACT = """
            {"stream":"contact","data":[{"contact_id":"c-1","email":"jane@acme.com","contact_properties":{}}]}""";

    @Test
    void afterItsTtlAKeyStartsAfreshAndItsRecordIsSwept() throws Exception {
        try (InletApp app = InletApp.start(Map.of(
                "inlet.idempotency.ttl", "PT1S",
                "inlet.idempotency.sweep-enabled", "false",
                "inlet.idempotency.sweep-interval", "PT0.5S"))) {
            Tenant tenant = app.newTenant("idem-ttl");
            String records = LakeKeys.IDEMPOTENCY_PREFIX + tenant.id() + "/";
            Instant before = Instant.now();
            HttpResponse<String> first = post(app, tenant);
            Await.until("the key's TTL over", Duration.ofSeconds(5),
                    () -> Instant.now().isAfter(before.plusMillis(1500)));

            HttpResponse<String> afterTtl = post(app, tenant);

            assertThat(afterTtl.statusCode()).as(afterTtl.body()).isEqualTo(200);
            assertThat(afterTtl.headers().firstValue(IdempotentUploads.REPLAYED_HEADER)).isEmpty();
            assertThat(fileKey(afterTtl)).isNotEqualTo(fileKey(first));
            assertThat(recordCount(app, records)).isEqualTo(1);

            app.camel().getRouteController().startRoute("idempotency-sweep");
            Await.until("the expired record swept", Duration.ofSeconds(10), () -> recordCount(app, records) == 0);
        }
    }

    private static HttpResponse<String> post(InletApp app, Tenant tenant) {
        return app.send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/ingestion/upload-json"))
                .timeout(Duration.ofSeconds(30)).header("x-api-key", tenant.key()).header("Content-Type", "application/json")
                .header(IdempotentUploads.HEADER, "nightly-export-1").POST(HttpRequest.BodyPublishers.ofString(CONTACT)).build());
    }

    private static int recordCount(InletApp app, String prefix) {
        return app.s3().listObjectsV2(b -> b.bucket(app.settings().lakeBucket()).prefix(prefix)).keyCount();
    }

    private static String fileKey(HttpResponse<String> response) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Json.mapper().readTree(response.body()).get("file_key").asText();
    }
}

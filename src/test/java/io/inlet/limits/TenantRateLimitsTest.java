package io.inlet.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.Json;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-tenant token buckets on the real service ({@link LimitedApp}): every tenant gets 1 request a second with 3 at
 * once, except "bulky", which may make many requests but send only 1,000 bytes a second, 4,000 at once.
 */
class TenantRateLimitsTest {

    static final String DEFAULT_POLICY = "\"requests\";q=1;w=1;inlet-burst=3, "
            + "\"bytes\";q=67108864;qu=\"content-bytes\";w=1;inlet-burst=4294967296";

    static final InletApp app = LimitedApp.get();
    static final BulkClient client = new BulkClient(app.baseUrl());

    @TempDir
    Path dir;

    @Test
    void overTheRequestLimitA429SaysWhenToRetryAndOtherTenantsGoOn() throws Exception {
        Tenant busy = app.tenant("busy");
        Tenant quiet = app.tenant("quiet");

        // The burst of 3 passes; the bucket refills one a second, so a refusal comes within a few more.
        HttpResponse<String> refused = null;
        for (int i = 0; i < 10 && refused == null; i++) {
            HttpResponse<String> response = uploadJson(busy, 1);
            if (response.statusCode() == 429) {
                refused = response;
            } else {
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                assertThat(i).as("requests passed before the first 429").isLessThan(6);
            }
        }
        assertThat(refused).as("a 429 within 10 requests").isNotNull();
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(refused.headers().firstValue("RateLimit-Policy")).hasValue(DEFAULT_POLICY);
        assertThat(refused.headers().firstValue("RateLimit")).hasValue("\"requests\";r=0;t=1");
        assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        JsonNode body = Json.mapper().readTree(refused.body());
        assertThat(body.get("status").asText()).isEqualTo("error");
        assertThat(body.get("message").asText()).isEqualTo(
                "Too many requests: tenant 'busy' may make 1 requests a second (3 at once) on this instance; retry after 1 s");
        assertThat(body.get("errors").isArray()).isTrue();

        // Another tenant, meanwhile, has its own bucket.
        assertThat(uploadJson(quiet, 1).statusCode()).isEqualTo(200);

        // Waiting as long as Retry-After says is enough.
        Thread.sleep(1000L * Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow()));
        HttpResponse<String> after = uploadJson(busy, 1);
        assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
    }

    @Test
    void bytesCountUploadJsonBodiesAndConfirmedFiles() throws Exception {
        Tenant bulky = app.tenant("bulky");
        Path file = dir.resolve("events.jsonl");
        Files.write(file, contactLines(3_000));
        BulkClient.Upload upload = client.requestUrl(bulky.key(), "contact");
        assertThat(client.put(upload.uploadUrl(), file)).isEqualTo(200);

        // 3,900 of the 4,000 bytes go on a batch; the 3,000-byte file then has to wait for the bucket to refill (2.9 s
        // at 1,000 bytes a second: room for a slow machine between the two requests).
        String batch = contactBatch(3_900);
        assertThat(batch.getBytes(StandardCharsets.UTF_8)).hasSize(3_900);
        assertThat(app.post("/ingestion/upload-json", bulky.key(), batch).statusCode()).isEqualTo(200);
        HttpResponse<String> refused = client.confirm(bulky.key(), upload.fileKey());

        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        String retryAfter = refused.headers().firstValue("Retry-After").orElseThrow();
        assertThat(Long.parseLong(retryAfter)).isBetween(1L, 3L);
        assertThat(refused.headers().firstValue("RateLimit-Policy")).hasValue(
                "\"requests\";q=1000;w=1;inlet-burst=1000, \"bytes\";q=1000;qu=\"content-bytes\";w=1;inlet-burst=4000");
        assertThat(refused.headers().firstValue("RateLimit").orElseThrow()).matches("\"bytes\";r=\\d+;t=" + retryAfter);
        assertThat(Json.mapper().readTree(refused.body()).get("message").asText())
                .startsWith("Too many bytes: tenant 'bulky' may send 1000 bytes a second (4000 bytes at once) on this "
                        + "instance, and the uploaded file is 3000 bytes; retry after ");
        assertThat(client.status(bulky.key(), upload.fileKey()).body()).contains("\"state\":\"awaiting_upload\"");

        Thread.sleep(1000L * Long.parseLong(retryAfter));
        HttpResponse<String> confirmed = client.confirm(bulky.key(), upload.fileKey());
        assertThat(confirmed.statusCode()).as(confirmed.body()).isEqualTo(200);
    }

    @Test
    void aBodyLargerThanTheByteBurstIsRefusedForGoodNotToldToWait() throws Exception {
        Tenant bulky = app.tenant("bulky");
        HttpResponse<String> refused = app.post("/ingestion/upload-json", bulky.key(), contactBatch(5_000));

        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(413);
        assertThat(refused.headers().firstValue("Retry-After")).isEmpty();
        assertThat(refused.headers().firstValue("RateLimit-Policy")).hasValueSatisfying(v -> assertThat(v).contains("inlet-burst=4000"));
        assertThat(Json.mapper().readTree(refused.body()).get("message").asText()).isEqualTo(
                "The request body is 5000 bytes, more than tenant 'bulky' may send at once (4000 bytes, its bytes "
                        + "burst); send smaller batches");
    }

    private static HttpResponse<String> uploadJson(Tenant tenant, int records) {
        return app.post("/ingestion/upload-json", tenant.key(), contactBatch(200 * records));
    }

    /** An upload-json body of contacts, exactly {@code size} bytes long (padded in a property). */
    private static String contactBatch(int size) {
        String head = "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"c-1\",\"email\":\"a@b.co\",\"contact_properties\":{\"pad\":\"";
        String tail = "\"}}]}";
        return head + "x".repeat(size - head.length() - tail.length()) + tail;
    }

    /** JSONL contact records, exactly {@code size} bytes. */
    private static byte[] contactLines(int size) throws IOException {
        String head = "{\"contact_id\":\"c-1\",\"email\":\"a@b.co\",\"contact_properties\":{\"pad\":\"";
        String tail = "\"}}\n";
        return (head + "x".repeat(size - head.length() - tail.length()) + tail).getBytes(StandardCharsets.UTF_8);
    }
}

package io.inlet.upload;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.inlet.Json;
import io.inlet.testing.Await;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tenant holds at most inlet.upload.max-pending upload URLs neither confirmed nor expired (uploads it never confirms
 * would otherwise fill the landing bucket, counted against no limit): one more is refused with 409 saying why, other
 * tenants are not held back, requests at once get no more than the bound between them, a confirmed upload no longer
 * counts, and the count survives a restart (it is what S3 holds).
 */
class OpenUploadsPerTenantTest {

    @TempDir
    Path dir;

    @Test
    void aTenantHoldsAtMostMaxPendingOpenUploadsAndAConfirmedOneNoLongerCounts() throws Exception {
        try (InletApp app = InletApp.start(Map.of("inlet.upload.max-pending", "3"))) {
            Tenant hoarder = app.newTenant("hoarder");
            Tenant other = app.newTenant("other");
            BulkClient client = new BulkClient(app.baseUrl());
            // open uploads of every stream count together, uploaded or not
            JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "events", 10, 0, true);
            BulkClient.Upload uploaded = client.uploaded(hoarder.key(), "contact_event", file.path());
            client.requestUrl(hoarder.key(), "account");
            client.requestUrl(hoarder.key(), "contact");

            HttpResponse<String> refused = requestUrl(app, hoarder);
            assertThat(refused.statusCode()).isEqualTo(409);
            assertThat(Json.mapper().readTree(refused.body()).get("message").asText())
                    .contains("tenant '" + hoarder.id() + "' holds 3 upload URLs that are neither confirmed nor expired");
            assertThat(requestUrl(app, other).statusCode()).as("another tenant").isEqualTo(200);

            // Requests at once do not all pass the check: exactly the bound gets URLs
            Tenant rush = app.newTenant("rush");
            ExecutorService senders = Executors.newFixedThreadPool(12);
            try {
                List<Future<Integer>> answers = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    answers.add(senders.submit(() -> requestUrl(app, rush).statusCode()));
                }
                List<Integer> codes = new ArrayList<>();
                for (Future<Integer> answer : answers) {
                    codes.add(answer.get(30, TimeUnit.SECONDS));
                }
                assertThat(codes).filteredOn(code -> code == 200).hasSize(3);
                assertThat(codes).filteredOn(code -> code == 409).hasSize(9);
            } finally {
                senders.shutdownNow();
            }

            assertThat(client.confirm(hoarder.key(), uploaded.fileKey()).statusCode()).isEqualTo(200);
            assertThat(requestUrl(app, hoarder).statusCode()).as("after a confirmation").isEqualTo(200);
            assertThat(requestUrl(app, hoarder).statusCode()).as("three open again").isEqualTo(409);

            // Confirmed on another instance (its marker gone, this instance's count not told): at the bound, S3 is
            // asked again before refusing
            String openedHere = Lake.partKeys(app.s3(), app.settings().lakeBucket(), "_pending/").stream()
                    .filter(k -> k.contains("tenant=" + hoarder.id() + "/")).findFirst().orElseThrow();
            app.s3().deleteObject(b -> b.bucket(app.settings().lakeBucket()).key(openedHere));
            // (at most every 10 s a tenant: it was asked at the refusal above)
            Await.until("one closed elsewhere is seen", Duration.ofSeconds(30),
                    () -> requestUrl(app, hoarder).statusCode() == 200);

            // The count is the open uploads' markers in S3, whichever instance opened them, as the expiry check
            // (at start, then every expiry-check-ms) finds them: a restarted instance knows the three.
            app.restart();
            UploadExpiry expiry = app.camel().getRegistry().lookupByNameAndType("uploadExpiry", UploadExpiry.class);
            Await.until("the open uploads counted", Duration.ofSeconds(30),
                    () -> expiry.openUploads().count(hoarder.id()) == 3);
            assertThat(requestUrl(app, hoarder).statusCode()).as("after a restart").isEqualTo(409);
        }
    }

    private static HttpResponse<String> requestUrl(InletApp app, Tenant tenant) {
        return app.post("/ingestion/generate-upload-url", tenant.key(),
                "{\"stream\":\"contact_event\",\"content_type\":\"application/jsonl\",\"content_encoding\":\"gzip\"}");
    }
}

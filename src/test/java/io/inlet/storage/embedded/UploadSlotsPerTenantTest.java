package io.inlet.storage.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.inlet.storage.S3Credentials;
import io.inlet.testing.Await;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.SlowClients;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;

/**
 * One tenant's unfinished uploads hold at most its share of the embedded S3's upload slots, from however many
 * addresses they come: another tenant's upload still goes through. (Every client here is 127.0.0.1, so the
 * per-address cap is set out of the way.) A URL naming the tenant's key without its signature takes none of them,
 * and no forged header-signed request takes any of the port's slots.
 */
class UploadSlotsPerTenantTest {

    private static final int PER_TENANT = 3;
    private static final int IN_FLIGHT = 20;

    static InletApp app;
    static BulkClient client;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        app = InletApp.start(Map.of(
                "inlet.s3.embedded.uploads.max-in-flight", String.valueOf(IN_FLIGHT),
                "inlet.s3.embedded.uploads.max-per-client", "20",
                "inlet.s3.embedded.uploads.max-per-tenant", String.valueOf(PER_TENANT)));
        client = new BulkClient(app.baseUrl());
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void aTenantsUnfinishedUploadsCannotTakeAnotherTenantsSlots() throws Exception {
        Tenant hog = app.newTenant("hog");
        Tenant other = app.newTenant("other");
        EmbeddedS3 embedded = app.camel().getRegistry().lookupByNameAndType("embeddedS3", EmbeddedS3.class);
        List<Socket> unfinished = new ArrayList<>();
        try {
            for (int i = 0; i < PER_TENANT; i++) {
                unfinished.add(SlowClients.startPut(URI.create(client.requestUrl(hog.key(), "contact").uploadUrl())));
            }
            Await.until("the hog's uploads admitted", Duration.ofSeconds(10), () -> embedded.uploadsInFlight() == PER_TENANT);

            Socket oneMore = SlowClients.startPut(URI.create(client.requestUrl(hog.key(), "contact").uploadUrl()));
            unfinished.add(oneMore);
            assertThat(SlowClients.answer(oneMore)).startsWith("HTTP/1.1 503").contains("SlowDown").contains("this tenant");

            JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "other", 10, 0, true);
            BulkClient.Upload upload = client.requestUrl(other.key(), "contact_event");
            assertThat(client.put(upload.uploadUrl(), file.path())).isEqualTo(200);
        } finally {
            for (Socket socket : unfinished) {
                socket.close();
            }
        }
        Await.until("slots given back", Duration.ofSeconds(10), () -> embedded.uploadsInFlight() == 0);
    }

    @Test
    void forgedUploadUrlsNamingATenantTakeNoneOfItsSlots() throws Exception {
        // Anyone can write a URL naming a tenant's key (the tenant id is in it): the signature is what they lack
        Tenant victim = app.newTenant("victim");
        EmbeddedS3 embedded = app.camel().getRegistry().lookupByNameAndType("embeddedS3", EmbeddedS3.class);
        BulkClient.Upload upload = client.requestUrl(victim.key(), "contact_event");
        URI forged = URI.create(upload.uploadUrl().replaceFirst("X-Amz-Signature=[0-9a-f]+",
                "X-Amz-Signature=" + "0".repeat(64)));
        List<Socket> unfinished = new ArrayList<>();
        try {
            for (int i = 0; i < PER_TENANT + 2; i++) {
                Socket head = SlowClients.startPut(forged);
                unfinished.add(head);
            }
            for (Socket head : unfinished) {
                assertThat(SlowClients.answer(head)).startsWith("HTTP/1.1 403").contains("SignatureDoesNotMatch");
            }
            assertThat(embedded.uploadsInFlight()).as("slots the forged heads hold").isZero();
            // nor a forged URL of the older signature scheme, which S3 checks from the head (no slot held waiting)
            URI forgedV2 = URI.create(upload.uploadUrl().substring(0, upload.uploadUrl().indexOf('?'))
                    + "?AWSAccessKeyId=someone&Expires=4102444800&Signature=AAAAAAAAAAAAAAAAAAAAAAAAAAA%3D");
            Socket head = SlowClients.startPut(forgedV2);
            unfinished.add(head);
            assertThat(SlowClients.answer(head)).startsWith("HTTP/1.1 403");
            Await.until("its slot given back", Duration.ofSeconds(5), () -> embedded.uploadsInFlight() == 0);

            JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "victim", 10, 0, true);
            assertThat(client.put(upload.uploadUrl(), file.path())).isEqualTo(200);
        } finally {
            for (Socket socket : unfinished) {
                socket.close();
            }
        }
    }

    /**
     * The access key id is in every upload URL, and the store reads a header-signed body whole before it can judge
     * the signature: forged header-signed PUTs, more of them than the port has slots, are each refused from their
     * head and hold none, so everyone's uploads still go through.
     */
    @Test
    void forgedHeaderSignedPutsTakeNoSlots() throws Exception {
        Tenant tenant = app.newTenant("bystander");
        EmbeddedS3 embedded = app.camel().getRegistry().lookupByNameAndType("embeddedS3", EmbeddedS3.class);
        AwsCredentials credentials = S3Credentials.forEmbeddedServer(app.settings());
        AwsCredentials guessed = AwsBasicCredentials.create(credentials.accessKeyId(), "not-the-secret");
        List<Socket> unfinished = new ArrayList<>();
        try {
            for (int i = 0; i < IN_FLIGHT + 5; i++) {
                URI target = URI.create(app.settings().s3PublicEndpoint() + "/" + app.settings().landingBucket()
                        + "/forged-" + i + ".bin");
                Socket head = SlowClients.startSignedPut(target, i % 2 == 0 ? credentials : guessed,
                        app.settings().s3Region(), 1_000_000, i % 2 == 0);
                unfinished.add(head);
            }
            for (Socket head : unfinished) {
                assertThat(SlowClients.answer(head)).startsWith("HTTP/1.1 403").contains("SignatureDoesNotMatch");
            }
            assertThat(embedded.uploadsInFlight()).as("slots the forged heads hold").isZero();

            JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "bystander", 10, 0, true);
            BulkClient.Upload upload = client.requestUrl(tenant.key(), "contact_event");
            assertThat(client.put(upload.uploadUrl(), file.path())).isEqualTo(200);
        } finally {
            for (Socket socket : unfinished) {
                socket.close();
            }
        }
    }
}

package io.inlet.upload;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.inlet.Json;
import io.inlet.status.StatusStore;
import io.inlet.status.UploadIndex;
import io.inlet.storage.Buckets;
import io.inlet.storage.S3Clients;
import io.inlet.storage.S3Objects;
import io.inlet.testing.Await;
import io.inlet.testing.BulkClient;
import io.inlet.testing.FaultyHttpProxy;
import io.inlet.testing.FaultyHttpProxy.Fault;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.TestS3;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * A confirmation on one instance and the expiry sweep on another, at the last moment of an upload's grace period.
 * Each instance keeps its own lock, so the status document decides: whichever of "queued" and "expired" is written
 * first stands, and the other side does nothing. Never "queued" with its file deleted (a status that stays queued for
 * good), never "expired" over a file that is being processed. The other instance's sweep runs here in the test, on
 * the same S3, with a clock past the grace period; the interleaving is made at the status write, where S3's latency
 * makes it happen.
 */
class ConfirmExpiryRaceTest {

    private static final String ID = "race-id";
    private static final String SECRET = "race-secret";

    @TempDir
    Path dir;

    private S3Proxy s3;
    private FaultyHttpProxy network;
    private InletApp app;
    private Tenant tenant;
    private BulkClient client;
    private int s3Port;

    @BeforeEach
    void start() throws Exception {
        s3Port = InletApp.freePort();
        int proxyPort = InletApp.freePort();
        s3 = TestS3.onDisk(dir.resolve("s3"), s3Port, ID, SECRET);
        network = new FaultyHttpProxy(proxyPort, s3Port, Duration.ofSeconds(3));
        app = InletApp.start(TestS3.settings(proxyPort, s3Port, ID, SECRET));
        tenant = app.newTenant("race");
        client = new BulkClient(app.baseUrl());
    }

    @AfterEach
    void stop() throws Exception {
        TestS3.stopAll(app, network, s3);
    }

    @Test
    void anExpiryDecidedWhileTheConfirmationWritesQueuedWinsAndTheConfirmationIsAnswered410() throws Exception {
        BulkClient.Upload upload = uploaded();
        CountDownLatch queuedUnderWay = new CountDownLatch(1);
        network.rule(request -> {
            if (request.method().equals("PUT") && request.path().contains("_status/") && request.path().contains(uuidOf(upload))) {
                queuedUnderWay.countDown();
                return Fault.DELAY;
            }
            return Fault.NONE;
        });
        CompletableFuture<HttpResponse<String>> confirmed = CompletableFuture.supplyAsync(
                () -> client.confirm(tenant.key(), upload.fileKey()));
        assertThat(queuedUnderWay.await(30, TimeUnit.SECONDS)).isTrue();

        assertThat(otherInstancesExpiry(null).expire()).as("the other instance expired it").isOne();

        HttpResponse<String> answer = confirmed.get(30, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(410);
        assertThat(stateOf(upload)).isEqualTo("expired");
        assertThat(S3Objects.head(app.s3(), app.settings().inboxBucket(), upload.fileKey())).isEmpty();
        assertThat(S3Objects.head(app.s3(), app.settings().landingBucket(), upload.fileKey())).isEmpty();
    }

    @Test
    void aConfirmationThatWritesQueuedWhileTheExpiryDecidesWinsAndTheFileIsProcessed() throws Exception {
        BulkClient.Upload upload = uploaded();
        AtomicReference<HttpResponse<String>> confirmed = new AtomicReference<>();
        // the other instance has read "awaiting_upload" and decided to expire it; before its write lands, this
        // instance's confirmation runs from start to end
        UploadExpiry expiry = otherInstancesExpiry(new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof PutObjectRequest put && put.key().startsWith("_status/")
                        && confirmed.get() == null) {
                    confirmed.set(client.confirm(tenant.key(), upload.fileKey()));
                }
            }
        });

        assertThat(expiry.expire()).as("nothing expired").isZero();

        assertThat(confirmed.get().statusCode()).as(confirmed.get().body()).isEqualTo(200);
        assertThat(client.awaitFinal(tenant.key(), upload.fileKey(), Duration.ofSeconds(60)).get("state").asText())
                .isEqualTo("completed");
        // the final status is written before the file moves to the archive (the commit's order)
        Await.until("the file in the archive", Duration.ofSeconds(30),
                () -> S3Objects.head(app.s3(), app.settings().archiveBucket(), upload.fileKey()).isPresent());
    }

    /** A file uploaded to a fresh upload URL, not confirmed yet. */
    private BulkClient.Upload uploaded() throws Exception {
        BulkClient.Upload upload = client.requestUrl(tenant.key(), "contact");
        Path file = Files.writeString(dir.resolve("contacts.jsonl"),
                "{\"contact_id\":\"c-1\",\"email\":\"c1@acme.com\",\"contact_properties\":{}}\n");
        assertThat(client.put(upload.uploadUrl(), file)).isEqualTo(200);
        return upload;
    }

    /** The expiry sweep of another instance: its own lock, straight to S3, a day later (past every grace period). */
    private UploadExpiry otherInstancesExpiry(ExecutionInterceptor interleaving) {
        S3Client direct = interleaving == null
                ? S3Clients.client(app.settings(), URI.create("http://127.0.0.1:" + s3Port), credentials())
                : S3Clients.client(app.settings(), URI.create("http://127.0.0.1:" + s3Port), credentials(), interleaving);
        Clock dayLater = Clock.fixed(Instant.now().plus(Duration.ofDays(1)), ZoneOffset.UTC);
        Buckets buckets = Buckets.of(app.settings());
        StatusStore statuses = new StatusStore(direct, buckets.lake(), Json.mapper(), dayLater,
                new UploadIndex(direct, buckets.lake()));
        return new UploadExpiry(direct, buckets, statuses, app.settings().uploadUrlExpiry(),
                app.settings().uploadExpiryGrace(), dayLater, new UploadLocks());
    }

    private String stateOf(BulkClient.Upload upload) {
        return client.awaitStatus(tenant.key(), upload.fileKey(), status -> true, Duration.ofSeconds(5)).get("state").asText();
    }

    private static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ID, SECRET));
    }

    private static String uuidOf(BulkClient.Upload upload) {
        String name = upload.fileKey().substring(upload.fileKey().lastIndexOf('/') + 1);
        return name.substring(0, name.indexOf('.'));
    }
}

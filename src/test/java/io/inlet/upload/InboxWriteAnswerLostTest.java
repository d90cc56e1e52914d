package io.inlet.upload;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.inlet.queue.WorkQueue;
import io.inlet.testing.Await;
import io.inlet.testing.FaultyHttpProxy;
import io.inlet.testing.FaultyHttpProxy.Fault;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.Lake;
import io.inlet.testing.TestS3;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * An upload-json batch whose inbox write S3 stored but whose answer was lost: by the time the service asks again, an
 * S3 event notification may have had the object processed, archived and deleted. Asking again must not put it back
 * (the SDK's own retry did: every record twice); the batch is acknowledged, and its records are in the lake once.
 */
class InboxWriteAnswerLostTest {

    @TempDir
    Path s3Dir;

    private S3Proxy s3;
    private FaultyHttpProxy network;
    private InletApp app;
    private SqsClient sqs;

    @AfterEach
    void stop() throws Exception {
        if (sqs != null) {
            sqs.close();
        }
        TestS3.stopAll(app, network, s3);
    }

    @Test
    void aStoredWriteWhoseAnswerWasLostIsNotPutBackAfterItWasProcessed() throws Exception {
        int s3Port = InletApp.freePort();
        int proxyPort = InletApp.freePort();
        int queuePort = InletApp.freePort();
        s3 = TestS3.onDisk(s3Dir, s3Port, "lost-id", "lost-secret");
        // what comes next after the lost answer (another PUT, or a look at the key) is held this long: time for an
        // event notification to have the stored object processed
        network = new FaultyHttpProxy(proxyPort, s3Port, Duration.ofSeconds(6));
        Map<String, String> settings = TestS3.settings(proxyPort, s3Port, "lost-id", "lost-secret");
        settings.put("inlet.queue.embedded.port", String.valueOf(queuePort));
        settings.put("inlet.queue.reconcile-interval", "PT1H");
        app = InletApp.start(settings);
        Tenant tenant = app.newTenant("lost");
        String inbox = "/" + app.settings().inboxBucket() + "/";
        AtomicInteger inboxPuts = new AtomicInteger();
        AtomicInteger inboxLooks = new AtomicInteger();
        CountDownLatch held = new CountDownLatch(1);
        network.rule(request -> {
            if (!request.path().startsWith(inbox) || request.path().contains("?")) {
                return Fault.NONE;
            }
            if (request.method().equals("PUT") && inboxPuts.incrementAndGet() == 1) {
                return Fault.LOSE_ANSWER;
            }
            if (request.method().equals("PUT") || request.method().equals("HEAD") && inboxLooks.incrementAndGet() == 1) {
                held.countDown();
                return Fault.DELAY;
            }
            return Fault.NONE;
        });
        String body = "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"lost-1\",\"email\":\"a@acme.com\","
                + "\"contact_properties\":{}},{\"contact_id\":\"lost-2\",\"email\":\"b@acme.com\",\"contact_properties\":{}}]}";

        CompletableFuture<HttpResponse<String>> answer = CompletableFuture.supplyAsync(
                () -> app.post("/ingestion/upload-json", tenant.key(), body));
        assertThat(held.await(60, TimeUnit.SECONDS)).as("the write after the lost answer held").isTrue();
        // as S3 would announce it: the object stored by the first attempt is processed meanwhile
        AtomicReference<S3Object> found = new AtomicReference<>();
        Await.until("the first attempt's object in the inbox", Duration.ofSeconds(10), () -> {
            app.s3().listObjectsV2(b -> b.bucket(app.settings().inboxBucket()).prefix("data/tenants/objects/contact/"))
                    .contents().stream().findFirst().ifPresent(found::set);
            return found.get() != null;
        });
        S3Object stored = found.get();
        sqs = WorkQueue.client(app.settings().queue(), URI.create("http://127.0.0.1:" + queuePort));
        String queueUrl = sqs.getQueueUrl(b -> b.queueName(app.settings().queue().name())).queueUrl();
        sqs.sendMessage(b -> b.queueUrl(queueUrl).messageBody(s3Event(app.settings().inboxBucket(), stored.key(),
                stored.size())));

        HttpResponse<String> response = answer.get(60, TimeUnit.SECONDS);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        Await.until("the inbox empty", Duration.ofSeconds(60), () -> app.s3().listObjectsV2(b -> b
                .bucket(app.settings().inboxBucket()).prefix("data/tenants/objects/contact/")).keyCount() == 0);
        // long enough for a second processing, had the object been put back and announced
        Thread.sleep(3_000);
        List<String> ids = Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(),
                "contact/tenant=" + tenant.id() + "/"), "contact_id");
        assertThat(ids).containsExactlyInAnyOrder("lost-1", "lost-2");
    }

    /**
     * AWS S3 answers 409 to a conditional write while another write of the key is under way (an earlier attempt still
     * being stored, say): that is no "key taken", the write is tried again. Taken for one, the batch was answered 500
     * and the sender would have sent it again.
     */
    @Test
    void aConflictingConditionalWriteIsTriedAgain() throws Exception {
        int s3Port = InletApp.freePort();
        int proxyPort = InletApp.freePort();
        s3 = TestS3.onDisk(s3Dir, s3Port, "conflict-id", "conflict-secret");
        network = new FaultyHttpProxy(proxyPort, s3Port, Duration.ZERO);
        app = InletApp.start(TestS3.settings(proxyPort, s3Port, "conflict-id", "conflict-secret"));
        Tenant tenant = app.newTenant("conflict");
        String inbox = "/" + app.settings().inboxBucket() + "/";
        AtomicInteger conditionalPuts = new AtomicInteger();
        network.rule(request -> request.method().equals("PUT") && request.path().startsWith(inbox)
                && request.hasHeader("If-None-Match") && conditionalPuts.incrementAndGet() == 1
                ? Fault.CONFLICT : Fault.NONE);
        String body = "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"conflict-1\",\"email\":\"a@acme.com\","
                + "\"contact_properties\":{}}]}";

        HttpResponse<String> response = app.post("/ingestion/upload-json", tenant.key(), body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(conditionalPuts).as("conditional inbox writes").hasValue(2);
        Await.until("the batch in the lake", Duration.ofSeconds(60), () -> !Lake.records(app.s3(),
                app.settings().lakeBucket(), "contact/tenant=" + tenant.id() + "/").isEmpty());
        assertThat(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(), "contact/tenant=" + tenant.id() + "/"),
                "contact_id")).containsExactly("conflict-1");
    }

    /** The shape S3 sends to SQS for a new object. */
    private static String s3Event(String bucket, String key, long size) {
        return "{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
                + "\"s3\":{\"bucket\":{\"name\":\"" + bucket + "\"},\"object\":{\"key\":\"" + key + "\",\"size\":" + size
                + "}}}]}";
    }
}

package io.inlet.storage.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.inlet.storage.S3Credentials;
import io.inlet.storage.S3Objects;
import io.inlet.testing.Await;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.SlowClients;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsCredentials;

/**
 * An upload URL does exactly one thing, PUT a body to its key, as on AWS S3: it cannot be turned into a copy of
 * another tenant's file, an ACL change or any other S3 operation, and nothing in any bucket is readable without
 * credentials.
 */
class UploadUrlSecurityTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    static InletApp app;
    static BulkClient client;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        app = InletApp.shared();
        client = new BulkClient(app.baseUrl());
    }

    @Test
    void anotherTenantsFileCannotBeCopiedThroughAnUploadUrlNorReadAnonymously() throws Exception {
        Tenant a = app.newTenant("victim");
        Tenant b = app.newTenant("attacker");
        JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "secret", 50, 0, true);
        BulkClient.Upload aUpload = client.requestUrl(a.key(), "contact_event");
        assertThat(client.put(aUpload.uploadUrl(), file.path())).isEqualTo(200);
        assertThat(client.confirm(a.key(), aUpload.fileKey()).statusCode()).isEqualTo(200);
        client.awaitFinal(a.key(), aUpload.fileKey(), Duration.ofSeconds(60));

        BulkClient.Upload bUpload = client.requestUrl(b.key(), "contact_event");
        HttpResponse<String> copy = send(HttpRequest.newBuilder(URI.create(bUpload.uploadUrl()))
                .header("x-amz-copy-source", "/" + app.settings().archiveBucket() + "/" + aUpload.fileKey())
                .header("x-amz-acl", "public-read")
                .PUT(HttpRequest.BodyPublishers.noBody()));

        assertThat(copy.statusCode()).isEqualTo(403);
        assertThat(copy.body()).contains("<Code>AccessDenied</Code>").contains("not signed");
        assertThat(S3Objects.head(app.s3(), app.settings().landingBucket(), bUpload.fileKey())).isEmpty();
        HttpResponse<String> anonymous = send(HttpRequest.newBuilder(
                URI.create(publicUrl(app.settings().archiveBucket(), aUpload.fileKey()))).GET());
        assertThat(anonymous.statusCode()).isEqualTo(403);
        assertThat(anonymous.body()).doesNotContain("event_id");
    }

    @ParameterizedTest
    @ValueSource(strings = {"x-amz-copy-source: /inlet-archive/some/key", "x-amz-acl: public-read",
            "x-amz-grant-read: uri=http://acs.amazonaws.com/groups/global/AllUsers", "x-amz-tagging: a=b",
            "x-amz-storage-class: GLACIER", "x-amz-server-side-encryption-customer-algorithm: AES256",
            "x-amz-meta-owner: someone-else", "x-amz-website-redirect-location: /elsewhere",
            "x-amz-object-lock-mode: GOVERNANCE", "x-amz-metadata-directive: REPLACE",
            "x-amz-copy-source-range: bytes=0-10", "X-AMZ-ACL: public-read-write"})
    void anUnsignedAmzHeaderOnAnUploadUrlIsRefused(String header) {
        Tenant tenant = app.newTenant("headers");
        BulkClient.Upload upload = client.requestUrl(tenant.key(), "contact");
        String[] nameValue = header.split(": ", 2);

        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(upload.uploadUrl()))
                .header(nameValue[0], nameValue[1])
                .PUT(HttpRequest.BodyPublishers.ofString("{\"contact_id\":\"c\"}\n")));

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).contains("AccessDenied").contains(nameValue[0].toLowerCase());
        assertThat(S3Objects.head(app.s3(), app.settings().landingBucket(), upload.fileKey())).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"acl", "tagging", "uploads", "versioning", "policy", "retention", "legal-hold",
            "partNumber=1&uploadId=x", "torrent", "restore"})
    void anUploadUrlCannotReachASubResource(String subResource) {
        Tenant tenant = app.newTenant("subres");
        BulkClient.Upload upload = client.requestUrl(tenant.key(), "contact");

        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(upload.uploadUrl() + "&" + subResource))
                .PUT(HttpRequest.BodyPublishers.ofString("x")));

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).contains("AccessDenied");
    }

    @Test
    void aSignedHeadersListCannotBeWidenedByRepeatingIt() {
        Tenant tenant = app.newTenant("repeat");
        BulkClient.Upload upload = client.requestUrl(tenant.key(), "contact");

        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(
                        upload.uploadUrl().replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=host%3Bx-amz-acl")
                                + "&X-Amz-SignedHeaders=host"))
                .header("x-amz-acl", "public-read")
                .PUT(HttpRequest.BodyPublishers.ofString("x")));

        assertThat(response.statusCode()).isIn(400, 403);
        assertThat(S3Objects.head(app.s3(), app.settings().landingBucket(), upload.fileKey())).isEmpty();
    }

    @Test
    void aPathThatIsNotPercentEncodedProperlyIsAnsweredNotDropped() throws IOException {
        Tenant tenant = app.newTenant("escape");
        URI url = URI.create(client.requestUrl(tenant.key(), "contact").uploadUrl());

        // sent as raw bytes: Java's own clients refuse to send such a path
        try (Socket socket = new Socket(url.getHost(), url.getPort())) {
            socket.getOutputStream().write(("PUT " + url.getRawPath() + "%zz?" + url.getRawQuery() + " HTTP/1.1\r\nHost: "
                    + url.getRawAuthority() + "\r\nContent-Length: 1\r\n\r\nx").getBytes(StandardCharsets.US_ASCII));
            assertThat(SlowClients.answer(socket)).matches("(?s)HTTP/1.1 40[03] .*");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"DELETE", "POST"})
    void anUploadUrlOnlyPuts(String method) {
        Tenant tenant = app.newTenant("methods");
        BulkClient.Upload upload = client.requestUrl(tenant.key(), "contact");

        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(upload.uploadUrl()))
                .method(method, HttpRequest.BodyPublishers.noBody()));

        assertThat(response.statusCode()).isEqualTo(403);
    }

    @Test
    void anUploadUrlStillTakesTheReferenceClientsPuts() throws IOException {
        Tenant tenant = app.newTenant("plain");
        JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "plain", 10, 0, true);
        BulkClient.Upload bare = client.requestUrl(tenant.key(), "contact_event");
        BulkClient.Upload withHeaders = client.requestUrl(tenant.key(), "contact_event");

        assertThat(client.put(bare.uploadUrl(), file.path())).isEqualTo(200);
        assertThat(client.putWithHeaders(withHeaders.uploadUrl(), file.path())).isEqualTo(200);
        assertThat(S3Objects.head(app.s3(), app.settings().landingBucket(), bare.fileKey())).isPresent();
        assertThat(S3Objects.head(app.s3(), app.settings().landingBucket(), withHeaders.fileKey())).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Content-Length: 2147483649", "Transfer-Encoding: chunked", ""})
    void anUploadUrlRefusesABodyLargerThanTheServiceTakesOrOfUnstatedSize(String sizeHeader) throws IOException {
        Tenant tenant = app.newTenant("size");
        BulkClient.Upload upload = client.requestUrl(tenant.key(), "contact");
        URI url = URI.create(upload.uploadUrl());

        // Only the head: the refusal comes before any of the body is read.
        try (Socket socket = new Socket(url.getHost(), url.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("PUT " + url.getRawPath() + "?" + url.getRawQuery() + " HTTP/1.1\r\nHost: " + url.getAuthority()
                    + "\r\n" + (sizeHeader.isEmpty() ? "" : sizeHeader + "\r\n") + "Connection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            if (sizeHeader.startsWith("Content-Length")) {
                assertThat(answer).startsWith("HTTP/1.1 400").contains("<Code>EntityTooLarge</Code>");
            } else {
                assertThat(answer).startsWith("HTTP/1.1 411").contains("<Code>MissingContentLength</Code>");
            }
        }
        assertThat(S3Objects.head(app.s3(), app.settings().landingBucket(), upload.fileKey())).isEmpty();
    }

    @Test
    void nothingInAnyBucketAnswersAnonymousRequests() {
        Tenant tenant = app.newTenant("anon");
        String uploaded = app.post("/ingestion/upload-json", tenant.key(),
                "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"c1\",\"email\":\"a@b.co\",\"contact_properties\":{}}]}")
                .body().replaceAll(".*\"file_key\":\"([^\"]+)\".*", "$1");
        for (String bucket : List.of(app.settings().landingBucket(), app.settings().inboxBucket(),
                app.settings().archiveBucket(), app.settings().lakeBucket())) {
            for (HttpRequest.Builder request : List.of(
                    HttpRequest.newBuilder(URI.create(publicUrl(bucket, ""))).GET(),
                    HttpRequest.newBuilder(URI.create(publicUrl(bucket, "") + "?list-type=2")).GET(),
                    HttpRequest.newBuilder(URI.create(publicUrl(bucket, uploaded))).GET(),
                    HttpRequest.newBuilder(URI.create(publicUrl(bucket, uploaded))).method("HEAD",
                            HttpRequest.BodyPublishers.noBody()),
                    HttpRequest.newBuilder(URI.create(publicUrl(bucket, "anonymous.jsonl")))
                            .PUT(HttpRequest.BodyPublishers.ofString("{}")),
                    HttpRequest.newBuilder(URI.create(publicUrl(bucket, uploaded))).DELETE())) {
                HttpResponse<String> response = send(request);
                assertThat(response.statusCode()).as(request.build().method() + " " + request.build().uri())
                        .isEqualTo(403);
            }
        }
        assertThat(send(HttpRequest.newBuilder(URI.create(app.settings().s3Endpoint() + "/")).GET()).statusCode())
                .as("bucket list").isEqualTo(403);
        assertThat(S3Objects.head(app.s3(), app.settings().inboxBucket(), "anonymous.jsonl")).isEmpty();
    }

    @Test
    void theServiceListenerDoesNotTakeUploadUrls() throws IOException {
        Tenant tenant = app.newTenant("replay");
        BulkClient.Upload upload = client.requestUrl(tenant.key(), "contact");
        URI url = URI.create(upload.uploadUrl());
        EmbeddedS3 embedded = app.camel().getRegistry().lookupByNameAndType("embeddedS3", EmbeddedS3.class);
        URI service = embedded.serviceEndpoint();

        // The same request line and Host header as the URL's, sent to the service's own listener instead.
        try (Socket socket = new Socket(service.getHost(), service.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("PUT " + url.getRawPath() + "?" + url.getRawQuery() + " HTTP/1.1\r\nHost: " + url.getAuthority()
                    + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String statusLine = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(statusLine).startsWith("HTTP/1.1 403");
        }
        assertThat(S3Objects.head(app.s3(), app.settings().landingBucket(), upload.fileKey())).isEmpty();
    }

    /**
     * The listener behind the public port takes the credential upload URLs are signed with but none of the gateway's
     * checks (S3Proxy ignores unsigned x-amz headers): a local process that sends an upload URL straight to it, with
     * x-amz-copy-source naming another tenant's file, must be refused as if it had no credential at all.
     */
    @Test
    void theListenerBehindThePublicPortAnswersOnlyTheGateway() throws IOException {
        Tenant victim = app.newTenant("victim");
        String victimKey = app.post("/ingestion/upload-json", victim.key(),
                "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"c1\",\"email\":\"a@b.co\",\"contact_properties\":{}}]}")
                .body().replaceAll(".*\"file_key\":\"([^\"]+)\".*", "$1");
        Tenant attacker = app.newTenant("attacker");
        BulkClient.Upload upload = client.requestUrl(attacker.key(), "contact");
        URI url = URI.create(upload.uploadUrl());
        EmbeddedS3 embedded = app.camel().getRegistry().lookupByNameAndType("embeddedS3", EmbeddedS3.class);
        URI listener = embedded.uploadListenerEndpoint();

        for (String extra : List.of("x-amz-copy-source: /" + app.settings().inboxBucket() + "/" + victimKey + "\r\n",
                "", GatewayOnly.HEADER + ": " + "0".repeat(64) + "\r\n")) {
            try (Socket socket = new Socket(listener.getHost(), listener.getPort())) {
                socket.getOutputStream().write(("PUT " + url.getRawPath() + "?" + url.getRawQuery() + " HTTP/1.1\r\nHost: "
                        + url.getAuthority() + "\r\n" + extra + "Content-Length: 2\r\nConnection: close\r\n\r\n{}")
                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(SlowClients.answer(socket)).as(extra).startsWith("HTTP/1.1 403");
            }
        }
        assertThat(S3Objects.head(app.s3(), app.settings().landingBucket(), upload.fileKey())).isEmpty();

        // through the public port the same URL works, and a client's own value for the gateway's header is replaced
        JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "through", 3, 0, true);
        assertThat(send(HttpRequest.newBuilder(url).header(GatewayOnly.HEADER, "0".repeat(64))
                .PUT(HttpRequest.BodyPublishers.ofFile(file.path()))).statusCode()).isEqualTo(200);
        assertThat(S3Objects.head(app.s3(), app.settings().landingBucket(), upload.fileKey())).isPresent();
    }

    /**
     * The store reads a header-signed PUT whose payload is signed whole into memory before it checks the body against
     * its hash: such bodies are bounded, one by one and all at once (a few 128 MB heads would otherwise fill the heap;
     * forged ones never get that far, see {@link UploadSlotsPerTenantTest}).
     */
    @Test
    void bodiesTheStoreReadsWholeBeforeCheckingTheirHashAreBounded() throws Exception {
        EmbeddedS3 embedded = app.camel().getRegistry().lookupByNameAndType("embeddedS3", EmbeddedS3.class);
        AwsCredentials credentials = S3Credentials.forEmbeddedServer(app.settings());
        String region = app.settings().s3Region();
        URI target = URI.create(publicUrl(app.settings().landingBucket(), "signed-payload.bin"));
        int mib = 1 << 20;
        List<Socket> heads = new java.util.ArrayList<>();
        try {
            Socket tooLarge = SlowClients.startSignedPut(target, credentials, region, 100L * mib, false);
            heads.add(tooLarge);
            assertThat(SlowClients.answer(tooLarge)).startsWith("HTTP/1.1 400").contains("EntityTooLarge");

            heads.add(SlowClients.startSignedPut(target, credentials, region, 40L * mib, false));
            Await.until("the first admitted", Duration.ofSeconds(10), () -> embedded.uploadsInFlight() == 1);
            Socket second = SlowClients.startSignedPut(target, credentials, region, 40L * mib, false);
            heads.add(second);
            assertThat(SlowClients.answer(second)).startsWith("HTTP/1.1 503").contains("SlowDown")
                    .contains("signed payload");
        } finally {
            for (Socket head : heads) {
                head.close();
            }
        }
        Await.until("given back", Duration.ofSeconds(10), () -> embedded.uploadsInFlight() == 0);
    }

    private static String publicUrl(String bucket, String key) {
        return app.settings().s3PublicEndpoint() + "/" + bucket + "/" + key;
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

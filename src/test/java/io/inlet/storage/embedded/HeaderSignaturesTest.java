package io.inlet.storage.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Consumer;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;

/**
 * The public port checks a header-signed request's signature from its head alone, before it takes a slot: requests
 * the SDK's SigV4 signer signs (payload hashed, unsigned, or streamed in signed chunks) pass as sent; a forged
 * signature, another access key, a changed path, host, query or stated payload hash are refused with S3's codes.
 */
class HeaderSignaturesTest {

    private static final AwsBasicCredentials KEYS = AwsBasicCredentials.create("inlet-uploads", "s3cr3t-upload-key");
    private static final byte[] BODY = "{\"id\":1}\n".getBytes(StandardCharsets.UTF_8);

    @Test
    void requestsTheSdkSignsPassAsSent() {
        for (Payload payload : Payload.values()) {
            for (String endpoint : new String[] {"http://127.0.0.1:9000", "http://s3.example.com", "http://[::1]:9000"}) {
                Head put = signed(endpoint, "/inlet-inbox/dropped/a%20b%2Bc.jsonl.gz", payload);
                assertThat(check(put)).as(payload + " " + endpoint).isEmpty();
            }
        }
        Head list = signed("http://127.0.0.1:9000", "/inlet-lake", Payload.HASHED,
                r -> r.method(SdkHttpMethod.GET).putRawQueryParameter("list-type", "2")
                        .putRawQueryParameter("prefix", "contact/tenant=acme/"));
        assertThat(check(list)).isEmpty();
    }

    @Test
    void aForgedOrChangedRequestIsRefused() {
        Head put = signed("http://127.0.0.1:9000", "/inlet-inbox/dropped/x.jsonl.gz", Payload.HASHED);

        Head forged = put.copy();
        forged.headers.set("Authorization", put.headers.get("Authorization").replaceFirst("Signature=[0-9a-f]+",
                "Signature=" + "0".repeat(64)));
        assertThat(code(check(forged))).isEqualTo("SignatureDoesNotMatch");

        Head otherBody = put.copy();
        otherBody.headers.set("x-amz-content-sha256", "ab".repeat(32));
        assertThat(code(check(otherBody))).isEqualTo("SignatureDoesNotMatch");

        Head otherKey = put.copy();
        otherKey.path = "/inlet-inbox/dropped/y.jsonl.gz";
        assertThat(code(check(otherKey))).isEqualTo("SignatureDoesNotMatch");

        Head otherHost = put.copy();
        otherHost.headers.set("Host", "127.0.0.1:9001");
        assertThat(code(check(otherHost))).isEqualTo("SignatureDoesNotMatch");

        Head subResource = put.copy();
        subResource.params.add("acl", "");
        assertThat(code(check(subResource))).isEqualTo("SignatureDoesNotMatch");

        Head otherAccessKey = put.copy();
        otherAccessKey.headers.set("Authorization", put.headers.get("Authorization")
                .replace("Credential=" + KEYS.accessKeyId(), "Credential=someone-else"));
        assertThat(code(check(otherAccessKey))).isEqualTo("InvalidAccessKeyId");
    }

    @Test
    void aRequestWithoutAPayloadStatementOrWithAMalformedHeaderIsRefused() {
        Head put = signed("http://127.0.0.1:9000", "/inlet-inbox/dropped/x.jsonl.gz", Payload.HASHED);

        Head noPayload = put.copy();
        noPayload.headers.remove("x-amz-content-sha256");
        assertThat(check(noPayload)).get().extracting(UploadRequestRules.Refusal::status, UploadRequestRules.Refusal::code)
                .containsExactly(400, "InvalidRequest");

        Head oddPayload = put.copy();
        oddPayload.headers.set("x-amz-content-sha256", "not-a-hash");
        assertThat(check(oddPayload)).get().extracting(UploadRequestRules.Refusal::status).isEqualTo(400);

        Head garbled = put.copy();
        garbled.headers.set("Authorization", "AWS4-HMAC-SHA256 nonsense");
        assertThat(check(garbled)).get().extracting(UploadRequestRules.Refusal::status).isNotNull();
        assertThat(code(check(garbled))).isIn("AuthorizationHeaderMalformed", "InvalidAccessKeyId");
    }

    private static Optional<UploadRequestRules.Refusal> check(Head head) {
        return new HeaderSignatures(KEYS).check(head.method, head.path, head.params, head.headers);
    }

    private static String code(Optional<UploadRequestRules.Refusal> refusal) {
        return refusal.map(UploadRequestRules.Refusal::code).orElse("none");
    }

    enum Payload { HASHED, UNSIGNED, SIGNED_CHUNKS }

    private static Head signed(String endpoint, String rawPath, Payload payload) {
        return signed(endpoint, rawPath, payload, r -> { });
    }

    /** Signs a request the way an SDK client does, and returns the head it would send. */
    private static Head signed(String endpoint, String rawPath, Payload payload, Consumer<SdkHttpRequest.Builder> shape) {
        URI uri = URI.create(endpoint);
        SdkHttpRequest.Builder request = SdkHttpRequest.builder()
                .method(SdkHttpMethod.PUT)
                .protocol(uri.getScheme())
                .host(uri.getHost())
                .encodedPath(rawPath)
                .putHeader("Content-Length", String.valueOf(BODY.length));
        if (uri.getPort() > 0) {
            request.port(uri.getPort());
        }
        shape.accept(request);
        if (payload == Payload.SIGNED_CHUNKS) {
            request.putHeader("x-amz-decoded-content-length", String.valueOf(BODY.length));
        }
        SdkHttpRequest signed = AwsV4HttpSigner.create().sign(r -> r.identity(KEYS)
                .request(request.build())
                .payload(() -> new ByteArrayInputStream(BODY))
                .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, "s3")
                .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                .putProperty(AwsV4FamilyHttpSigner.DOUBLE_URL_ENCODE, false)
                .putProperty(AwsV4FamilyHttpSigner.NORMALIZE_PATH, false)
                .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, payload != Payload.UNSIGNED)
                .putProperty(AwsV4FamilyHttpSigner.CHUNK_ENCODING_ENABLED, payload == Payload.SIGNED_CHUNKS))
                .request();
        Head head = new Head();
        head.method = signed.method().name();
        head.path = signed.encodedPath();
        signed.rawQueryParameters().forEach((name, values) -> values.forEach(v -> head.params.add(name, v)));
        signed.headers().forEach((name, values) -> values.forEach(v -> head.headers.add(name, v)));
        return head;
    }

    /** A request head as the gateway sees it: method, raw path, decoded query parameters, headers. */
    private static final class Head {
        String method;
        String path;
        MultiMap params = MultiMap.caseInsensitiveMultiMap();
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();

        Head copy() {
            Head copy = new Head();
            copy.method = method;
            copy.path = path;
            copy.params.addAll(params);
            copy.headers.addAll(headers);
            return copy;
        }
    }
}

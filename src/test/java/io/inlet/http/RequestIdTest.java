package io.inlet.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.inlet.testing.CapturedLog;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every answer of the API port carries X-Request-Id: the client's own when it sent a safe one (1–128 of
 * A-Z a-z 0-9 . _ : -), a new UUID otherwise, whatever answers the request: a route (200, 401), the server's
 * error pages (404 for an unknown path, 413 over the body limit) or the health check.
 */
class RequestIdTest {

    static final Pattern GENERATED = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}");
    static final String ACCOUNT = "{\"stream\":\"account\",\"data\":[{\"account_id\":\"a\",\"domain\":\"acme.com\",\"account_properties\":{}}]}";

    static InletApp app;
    static Tenant tenant;

    @BeforeAll
    static void start() {
        app = InletApp.shared();
        tenant = app.newTenant("request-ids");
    }

    @Test
    void anApiKeySentInThePathIsNotWrittenToTheLog() throws Exception {
        String encoded = tenant.key().replace("_", "%5F");
        String log = CapturedLog.during(() -> {
            assertThat(send(get("/ingestion/uploads/" + tenant.key())).statusCode()).isEqualTo(404);
            assertThat(send(get("/ingestion/uploads/status/" + encoded + "/x")).statusCode()).isEqualTo(404);
        }, written -> written.contains("/x answered 404"));

        assertThat(log).contains("GET /ingestion/uploads/inlet_… answered 404")
                .contains("GET /ingestion/uploads/status/inlet_…/x answered 404")
                .doesNotContain(tenant.key().substring(6, 20)).doesNotContain(encoded.substring(8, 20));
    }

    @Test
    void everyAnswerCarriesANewIdWhenTheClientSentNone() {
        Map<String, HttpResponse<String>> answers = Map.of(
                "upload-json 200", send(post("/ingestion/upload-json", tenant.key(), ACCOUNT)),
                "upload-json 401", send(post("/ingestion/upload-json", null, ACCOUNT)),
                "unknown path 404", send(get("/no/such/endpoint")),
                "over the body limit 413", send(post("/ingestion/upload-json", tenant.key(), "x".repeat(1_048_577))),
                "health 200", send(get("/observe/health")));

        assertThat(answers.get("upload-json 200").statusCode()).isEqualTo(200);
        assertThat(answers.get("upload-json 401").statusCode()).isEqualTo(401);
        assertThat(answers.get("unknown path 404").statusCode()).isEqualTo(404);
        assertThat(answers.get("over the body limit 413").statusCode()).isEqualTo(413);
        assertThat(answers.get("health 200").statusCode()).isEqualTo(200);
        answers.forEach((what, answer) -> assertThat(idOf(answer)).as(what).matches(GENERATED));
        assertThat(answers.values().stream().map(RequestIdTest::idOf).distinct()).hasSize(answers.size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "7c1e4e0e-5a55-4b6c-9d0e-2f1b6a3c4d5e", "trace.42:span_7-x",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"})
    void aSafeIdTheClientSentComesBack(String sent) {
        assertThat(sent).hasSizeLessThanOrEqualTo(128);
        for (HttpRequest.Builder request : List.of(post("/ingestion/upload-json", tenant.key(), ACCOUNT),
                post("/ingestion/upload-json", null, ACCOUNT), get("/no/such/endpoint"))) {
            HttpResponse<String> answer = send(request.header(RequestLog.HEADER, sent));
            assertThat(idOf(answer)).as(answer.request().method() + " " + answer.statusCode()).isEqualTo(sent);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"a b", "<script>alert(1)</script>", "id\"},\"tenant\":\"other", "%0d%0aSet-Cookie:x", "a/b",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefX"})
    void anUnsafeIdIsReplacedByANewOne(String sent) {
        for (HttpRequest.Builder request : List.of(post("/ingestion/upload-json", tenant.key(), ACCOUNT),
                post("/ingestion/upload-json", null, ACCOUNT), get("/no/such/endpoint"))) {
            HttpResponse<String> answer = send(request.header(RequestLog.HEADER, sent));
            assertThat(idOf(answer)).as(answer.request().method() + " " + answer.statusCode()).matches(GENERATED);
        }
    }

    @Test
    void aThousandCharacterIdIsReplaced() {
        HttpResponse<String> answer = send(post("/ingestion/upload-json", null, ACCOUNT).header(RequestLog.HEADER, "a".repeat(1000)));

        assertThat(answer.statusCode()).isEqualTo(401);
        assertThat(idOf(answer)).matches(GENERATED);
    }

    @Test
    void anIdWithALineBreakOrSentTwiceIsReplaced() throws IOException {
        // a folded header line (obs-fold) is the one way a line break reaches a header value
        String folded = rawGet("X-Request-Id: first\r\n injected: 1\r\n");
        String twice = rawGet("X-Request-Id: first\r\nX-Request-Id: second\r\n");

        assertThat(folded).startsWith("HTTP/1.1 404");
        assertThat(twice).startsWith("HTTP/1.1 404");
        assertThat(rawId(folded)).matches(GENERATED);
        assertThat(rawId(twice)).matches(GENERATED);
    }

    private static HttpRequest.Builder post(String path, String apiKey, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(app.baseUrl() + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        return apiKey == null ? request : request.header("x-api-key", apiKey);
    }

    private static HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(URI.create(app.baseUrl() + path)).timeout(Duration.ofSeconds(30)).GET();
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        return app.send(request.build());
    }

    private static String idOf(HttpResponse<String> answer) {
        List<String> ids = answer.headers().allValues(RequestLog.HEADER);
        assertThat(ids).as("X-Request-Id of a " + answer.statusCode()).hasSize(1);
        return ids.get(0);
    }

    /** GET of an unknown path with these header lines, as sent bytes; the answer's head and body. */
    private static String rawGet(String headerLines) throws IOException {
        try (Socket socket = new Socket("localhost", app.httpPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /no/such/endpoint HTTP/1.1\r\nHost: localhost\r\n" + headerLines + "Connection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static String rawId(String answer) {
        Matcher id = Pattern.compile("(?im)^X-Request-Id: ([^\r\n]*)").matcher(answer);
        assertThat(id.find()).as(answer).isTrue();
        String value = id.group(1);
        assertThat(id.find()).as("a second X-Request-Id in " + answer).isFalse();
        return value;
    }
}

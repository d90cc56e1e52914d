package io.inlet.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The console's files as the service serves them: where, with which types and headers, and that they need nothing
 * but the service and the storage of upload URLs (which lets the console's origin PUT there).
 */
class ConsolePagesTest {

    private static final Path FILES = Path.of("src/main/resources/console");

    static InletApp app;

    @BeforeAll
    static void start() {
        app = InletApp.shared();
    }

    @Test
    void theConsoleIsServedWithItsTypesAndAStrictPolicy() {
        HttpResponse<String> bare = app.get("/console", null);
        assertThat(bare.statusCode()).isEqualTo(302);
        assertThat(bare.headers().firstValue("Location")).hasValue("/console/");

        HttpResponse<String> page = app.get("/console/", null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<title>Inlet console</title>");
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html;charset=UTF-8");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValue("default-src 'none'; script-src 'self'; "
                + "style-src 'self'; img-src 'self'; connect-src 'self' " + app.settings().s3PublicEndpoint()
                + "; form-action 'none'; frame-ancestors 'none'; base-uri 'none'");
        assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(page.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
        assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-cache");
        assertThat(app.get("/console/index.html", null).body()).isEqualTo(page.body());

        assertThat(app.get("/console/console.js", null).headers().firstValue("Content-Type")).hasValue("text/javascript;charset=UTF-8");
        assertThat(app.get("/console/api.js", null).headers().firstValue("Content-Type")).hasValue("text/javascript;charset=UTF-8");
        assertThat(app.get("/console/console.css", null).headers().firstValue("Content-Type")).hasValue("text/css;charset=UTF-8");
        assertThat(app.get("/console/favicon.svg", null).headers().firstValue("Content-Type")).hasValue("image/svg+xml");
        HttpResponse<String> missing = app.get("/console/missing.js", null);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).startsWith("{\"status\":\"error\"");
        assertThat(app.get("/console/..%2Fopenapi.json", null).statusCode()).isEqualTo(404);
    }

    /** No CDN, font or other host: the console works with no internet. */
    @Test
    void theFilesNameNoOtherHost() throws IOException {
        try (Stream<Path> files = Files.list(FILES)) {
            List<Path> all = files.toList();
            assertThat(all).extracting(f -> f.getFileName().toString())
                    .containsExactlyInAnyOrder("index.html", "console.css", "console.js", "api.js", "favicon.svg");
            for (Path file : all) {
                // the SVG namespace is a name, never fetched
                assertThat(Files.readString(file).replace("xmlns=\"http://www.w3.org/2000/svg\"", "")).as(file.toString())
                        .doesNotContainPattern("(https?:)?//[a-z0-9.-]+\\.[a-z]")
                        .doesNotContain("@import").doesNotContain("localStorage.setItem").doesNotContain("document.cookie");
            }
        }
    }

    /** The browser's PUT to an upload URL is cross-origin: the embedded S3 lets the console's origin make it. */
    @Test
    void theEmbeddedStorageLetsTheConsolesOriginUpload() {
        String url = new BulkClient(app.baseUrl()).requestUrl(app.newTenant("cors").key(), "contact").uploadUrl();
        HttpResponse<String> allowed = preflight(url, app.baseUrl());
        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).hasValue(app.baseUrl());
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Methods")).hasValue("PUT");
        assertThat(preflight(url, "http://elsewhere.example").statusCode()).isEqualTo(403);
    }

    private static HttpResponse<String> preflight(String url, String origin) {
        return app.send(HttpRequest.newBuilder(URI.create(url)).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", origin).header("Access-Control-Request-Method", "PUT")
                .header("Access-Control-Request-Headers", "content-type").build());
    }
}

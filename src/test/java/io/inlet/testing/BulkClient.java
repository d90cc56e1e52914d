package io.inlet.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Json;

/** The reference's mode 2 as a client performs it: ask for a URL, PUT the file there, confirm, poll the status. */
public final class BulkClient {

    private static final ObjectMapper JSON = Json.mapper();
    private final String baseUrl;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    public BulkClient(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    public record Upload(String uploadUrl, String fileKey) {
    }

    public Upload requestUrl(String apiKey, String stream) {
        HttpResponse<String> response = post("/ingestion/generate-upload-url", apiKey,
                "{\"stream\":\"" + stream + "\",\"content_type\":\"application/jsonl\",\"content_encoding\":\"gzip\"}");
        if (response.statusCode() != 200) {
            throw new IllegalStateException("generate-upload-url: " + response.statusCode() + " " + response.body());
        }
        JsonNode body = read(response.body());
        return new Upload(body.get("upload_url").asText(), body.get("file_key").asText());
    }

    /** A PUT with no Content-Type or Content-Encoding, like the reference's {@code curl -X PUT -T file URL}. */
    public int put(String url, Path file) {
        return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(5))
                .PUT(ofFile(file)).build()).statusCode();
    }

    /** When a file's final status says it finished. */
    public static Instant finishedAt(JsonNode status) {
        return Instant.parse(status.get("finished_at").asText());
    }

    /** An upload URL requested and the file PUT to it, not confirmed yet; fails unless the PUT is answered 200. */
    public Upload uploaded(String apiKey, String stream, Path file) {
        Upload upload = requestUrl(apiKey, stream);
        int answered = put(upload.uploadUrl(), file);
        if (answered != 200) {
            throw new AssertionError("PUT of " + file + " to its upload URL answered " + answered);
        }
        return upload;
    }

    /** A PUT that sends both headers, like the reference's Python script. */
    public int putWithHeaders(String url, Path file) {
        return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(5))
                .header("Content-Type", "application/jsonl").header("Content-Encoding", "gzip")
                .PUT(ofFile(file)).build()).statusCode();
    }

    public HttpResponse<String> confirm(String apiKey, String fileKey) {
        return post("/ingestion/confirm-upload", apiKey, "{\"file_key\":\"" + fileKey + "\"}");
    }

    public HttpResponse<String> status(String apiKey, String fileKey) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + "/ingestion/uploads/status?file_key=" + fileKey))
                .header("x-api-key", apiKey).GET().build());
    }

    /** Polls the status until {@code until} holds or the deadline passes. */
    public JsonNode awaitStatus(String apiKey, String fileKey, Predicate<JsonNode> until, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> response = status(apiKey, fileKey);
            if (response.statusCode() == 200) {
                last = read(response.body());
                if (until.test(last)) {
                    return last;
                }
            }
            sleep(100);
        }
        throw new AssertionError("status of " + fileKey + " did not get there in " + timeout + "; last: " + last);
    }

    /** The file's state now; empty when it has no status (yet). */
    public String state(String apiKey, String fileKey) {
        HttpResponse<String> response = status(apiKey, fileKey);
        return response.statusCode() == 200 ? read(response.body()).get("state").asText() : "";
    }

    public JsonNode awaitFinal(String apiKey, String fileKey, Duration timeout) {
        return awaitStatus(apiKey, fileKey, s -> s.get("state").asText().matches("completed|completed_with_errors|failed"),
                timeout);
    }

    public HttpResponse<String> post(String path, String apiKey, String json) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(60))
                .header("x-api-key", apiKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static HttpRequest.BodyPublisher ofFile(Path file) {
        try {
            return HttpRequest.BodyPublishers.ofFile(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode read(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

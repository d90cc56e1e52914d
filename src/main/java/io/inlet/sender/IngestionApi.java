package io.inlet.sender;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.api.ErrorBody;
import io.inlet.schema.Stream;
import io.inlet.upload.UploadUrlResponse;

/**
 * The service's HTTP API as a sender calls it: an upload URL, the confirmation, the status document. Answers
 * that say "later" (429, 503, a dropped connection) are tried again ({@link Retries}); any other error answer is
 * {@link Refused}, with the service's own message.
 */
final class IngestionApi {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    private final HttpClient http;
    private final String baseUrl;
    private final String apiKey;
    private final Retries retries;
    private final ObjectMapper json;

    IngestionApi(HttpClient http, String baseUrl, String apiKey, Retries retries, ObjectMapper json) {
        this.http = http;
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.apiKey = apiKey;
        this.retries = retries;
        this.json = json;
    }

    UploadUrlResponse generateUploadUrl(Stream stream) throws Refused, IOException, InterruptedException {
        JsonNode answer = post("generate-upload-url", Map.of("stream", stream.wireName(),
                "content_type", "application/jsonl", "content_encoding", "gzip"));
        return json.treeToValue(answer, UploadUrlResponse.class);
    }

    void confirm(String fileKey) throws Refused, IOException, InterruptedException {
        post("confirm-upload", Map.of("file_key", fileKey));
    }

    /** The file's status document, as served. */
    JsonNode status(String fileKey) throws Refused, IOException, InterruptedException {
        return call("GET uploads/status", request("/ingestion/uploads/status?file_key="
                + URLEncoder.encode(fileKey, StandardCharsets.UTF_8)).GET());
    }

    private JsonNode post(String endpoint, Map<String, String> body) throws Refused, IOException, InterruptedException {
        return call(endpoint, request("/ingestion/" + endpoint).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))));
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(REQUEST_TIMEOUT)
                .header("x-api-key", apiKey).header("Accept", "application/json");
    }

    private JsonNode call(String what, HttpRequest.Builder request) throws Refused, IOException, InterruptedException {
        HttpRequest built = request.build();
        HttpResponse<String> answer = retries.send(what, () -> http.send(built, HttpResponse.BodyHandlers.ofString()));
        if (answer.statusCode() / 100 != 2) {
            throw new Refused(what, answer.statusCode(), errorBody(answer));
        }
        return json.readTree(answer.body());
    }

    /** The service's error model, or what a proxy in front of it answered, cut short. */
    private ErrorBody errorBody(HttpResponse<String> answer) {
        try {
            ErrorBody body = json.readValue(answer.body(), ErrorBody.class);
            if (body.message() != null) {
                return body;
            }
        } catch (JsonProcessingException notTheErrorModel) {
            // below
        }
        String text = answer.body() == null ? "" : answer.body().strip();
        return ErrorBody.of(text.isEmpty() ? "(no message)" : text.length() > 200 ? text.substring(0, 200) + "…" : text,
                List.of());
    }
}

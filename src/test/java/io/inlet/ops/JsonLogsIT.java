package io.inlet.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Json;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged service with INLET_LOG_FORMAT=json: everything it writes is one JSON object a line, and the lines
 * written while a request is handled carry its request id, its tenant once authenticated and its file key once
 * known; the pipeline's line about the file carries the file key and tenant too.
 */
class JsonLogsIT {

    static final String ACCOUNT = "{\"stream\":\"account\",\"data\":[{\"account_id\":\"a\",\"domain\":\"acme.com\",\"account_properties\":{}}]}";

    @TempDir
    Path work;

    private final ObjectMapper json = Json.mapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void everyLineIsAJsonObjectAndTheLinesOfARequestCarryItsIdTenantAndFileKey() throws Exception {
        Map<String, String> settings = InletProcess.settings(work.resolve("data"), work.resolve("drop"));
        String base = InletProcess.baseUrl(settings);
        String fileKey;
        String apiKey = InletProcess.createKey(settings, "dev");
        InletProcess service = InletProcess.start(settings, Map.of("INLET_LOG_FORMAT", "json"), "256m");
        try {
            HttpResponse<String> uploaded = send(HttpRequest.newBuilder(URI.create(base + "/ingestion/upload-json"))
                    .header("x-api-key", apiKey).header("X-Request-Id", "it-upload-1")
                    .POST(HttpRequest.BodyPublishers.ofString(ACCOUNT)));
            assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
            fileKey = json.readTree(uploaded.body()).get("file_key").asText();
            HttpResponse<String> refused = send(HttpRequest.newBuilder(URI.create(base + "/ingestion/upload-json"))
                    .header("x-api-key", "inlet_not-a-key").header("X-Request-Id", "it-refused-1")
                    .POST(HttpRequest.BodyPublishers.ofString(ACCOUNT)));
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(new BulkClient(base).awaitFinal(apiKey, fileKey, Duration.ofSeconds(30)).get("state").asText())
                    .isEqualTo("completed");
            HttpResponse<String> status = send(HttpRequest.newBuilder(URI.create(base + "/ingestion/uploads/status?file_key="
                    + URLEncoder.encode(fileKey, StandardCharsets.UTF_8))).header("x-api-key", apiKey)
                    .header("X-Request-Id", "it-status-1").GET());
            assertThat(status.statusCode()).isEqualTo(200);
        } finally {
            service.close();
        }
        String log = service.log(); // shutdown included
        List<JsonNode> lines = jsonLines(log);

        assertThat(lines).hasSizeGreaterThan(20);
        assertThat(log).doesNotContain(apiKey);
        assertThat(lines).allSatisfy(line -> {
            for (String field : List.of("timestamp", "level", "logger", "thread", "message")) {
                assertThat(line.path(field).isTextual()).as(field + " of " + line).isTrue();
            }
        });
        assertThat(withRequestId(lines, "it-upload-1")).anySatisfy(line -> {
            assertThat(line.get("message").asText()).matches("POST /ingestion/upload-json answered 200 in \\d+ ms");
            assertThat(line.get("tenant").asText()).isEqualTo("dev");
            assertThat(line.get("file_key").asText()).isEqualTo(fileKey);
        });
        assertThat(withRequestId(lines, "it-refused-1")).singleElement().satisfies(line -> {
            assertThat(line.get("message").asText()).startsWith("POST /ingestion/upload-json answered 401 in ");
            assertThat(line.has("tenant")).as("a refused request has no tenant: " + line).isFalse();
        });
        assertThat(withRequestId(lines, "it-status-1")).anySatisfy(line -> {
            assertThat(line.get("message").asText()).startsWith("GET /ingestion/uploads/status answered 200 in ");
            assertThat(line.get("tenant").asText()).isEqualTo("dev");
            assertThat(line.get("file_key").asText()).isEqualTo(fileKey);
        });
        assertThat(lines).filteredOn(line -> line.path("logger").asText().endsWith("BatchCommit"))
                .anySatisfy(line -> {
                    assertThat(line.get("message").asText()).isEqualTo(fileKey + ": completed (1 accepted, 0 rejected)");
                    assertThat(line.get("tenant").asText()).isEqualTo("dev");
                    assertThat(line.get("file_key").asText()).isEqualTo(fileKey);
                });
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Each line of the output as JSON; a line that is not a JSON object fails the test, naming it. */
    private List<JsonNode> jsonLines(String log) {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : log.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode parsed = json.readTree(line);
                assertThat(parsed.isObject()).as(line).isTrue();
                lines.add(parsed);
            } catch (JsonProcessingException e) {
                throw new AssertionError("not one JSON object: " + line, e);
            }
        }
        return lines;
    }

    private static List<JsonNode> withRequestId(List<JsonNode> lines, String id) {
        return lines.stream().filter(line -> id.equals(line.path("request_id").asText(null))).toList();
    }
}

package io.inlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import io.inlet.tenant.ApiKeys;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletProcess;
import io.inlet.testing.JsonlFiles;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What the packaged service gives away to whoever reads its log or the machine's disk: at the most verbose log
 * levels, with the S3 credentials given in the environment, a full round of uploads must log no secret, API key
 * or request signature; and the data directory must be closed to other local users.
 */
class LocalExposureIT {

    static final String ACCESS_KEY = "inletitaccess7f3a9c";
    static final String SECRET_KEY = "inletitsecret5b8e2d41c9f07a36e1d4b2c8";

    @TempDir
    Path work;

    /** Each log format once (TRACE logs all that DEBUG does, and more). */
    @ParameterizedTest
    // TRACE logs all that DEBUG does; one round keeps the suite inside its time budget (the text layout writes the
    // same messages, and JsonLogsIT covers the layouts).
    @CsvSource({"TRACE, json"})
    void noSecretIsLoggedAndTheDataDirectoryIsOwnerOnly(String level, String format) throws Exception {
        Path dataDir = work.resolve("data");
        InletProcess.Result created = InletProcess.run(Map.of("inlet.data-dir", dataDir.toString()), Map.of(),
                "keys", "create", "--tenant", "acme");
        assertThat(created.exitCode()).as(created.stderr()).isZero();
        String apiKey = created.lastStdoutLine();
        Map<String, String> settings = InletProcess.settings(dataDir, work.resolve("drop"));
        Map<String, String> environment = Map.of(
                "INLET_LOG_LEVEL", level,
                "INLET_LOG_FORMAT", format,
                "INLET_S3_ACCESS_KEY", ACCESS_KEY,
                "INLET_S3_SECRET_KEY", SECRET_KEY);
        JsonlFiles.Generated file = JsonlFiles.contactEvents(work, "bulk", 200, 0, true);

        SoftAssertions softly = new SoftAssertions();
        String signature;
        InletProcess service = InletProcess.start(settings, environment, "256m");
        try {
            BulkClient client = new BulkClient("http://localhost:" + settings.get("camel.server.port"));
            BulkClient.Upload upload = client.requestUrl(apiKey, "contact_event");
            signature = queryParameter(upload.uploadUrl(), "X-Amz-Signature");
            assertThat(client.put(upload.uploadUrl(), file.path())).isEqualTo(200);
            assertThat(client.confirm(apiKey, upload.fileKey()).statusCode()).isEqualTo(200);
            HttpResponse<String> posted = client.post("/ingestion/upload-json", apiKey,
                    "{\"stream\":\"account\",\"data\":[{\"account_id\":\"a\",\"domain\":\"acme.com\",\"account_properties\":{}}]}");
            assertThat(posted.statusCode()).as(posted.body()).isEqualTo(200);
            String postedKey = Json.mapper().readTree(posted.body()).get("file_key").asText();
            assertThat(client.awaitFinal(apiKey, upload.fileKey(), Duration.ofSeconds(30)).get("state").asText())
                    .isEqualTo("completed");
            assertThat(client.awaitFinal(apiKey, postedKey, Duration.ofSeconds(30)).get("state").asText())
                    .isEqualTo("completed");
            for (Path dir : new Path[] {dataDir, dataDir.resolve("s3"), dataDir.resolve("tmp")}) {
                softly.assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).as(dir.toString())
                        .isEqualTo("rwx------");
            }
        } finally {
            service.close();
        }
        String log = service.log(); // shutdown included

        assertThat(signature).matches("[0-9a-f]{64}");
        assertThat(log).as("the service logged at " + level)
                .contains(format.equals("json") ? "\"level\":\"" + level + "\"" : " " + level + " ");
        softly.assertThat(linesMatching(log, Pattern.quote(SECRET_KEY))).as("the S3 secret key at " + level).isEmpty();
        softly.assertThat(linesMatching(log, Pattern.quote(apiKey.substring(ApiKeys.KEY_PREFIX.length()))))
                .as("the API key at " + level).isEmpty();
        softly.assertThat(linesMatching(log, Pattern.quote(signature))).as("the upload URL's signature at " + level).isEmpty();
        softly.assertThat(linesMatching(log, "Signature=[0-9a-fA-F]{64}")).as("any request signature at " + level).isEmpty();
        softly.assertAll();
    }

    /** The first few offending lines, shortened: enough to name the logger without drowning the report. */
    private static List<String> linesMatching(String log, String regex) {
        Pattern pattern = Pattern.compile(regex);
        return log.lines().filter(line -> pattern.matcher(line).find())
                .map(line -> line.length() > 240 ? line.substring(0, 240) + "…" : line)
                .limit(5).toList();
    }

    private static String queryParameter(String url, String name) {
        return Arrays.stream(URI.create(url).getRawQuery().split("&"))
                .filter(p -> p.startsWith(name + "="))
                .map(p -> URLDecoder.decode(p.substring(name.length() + 1), StandardCharsets.UTF_8))
                .findFirst().orElseThrow(() -> new AssertionError(name + " is not in " + url));
    }
}

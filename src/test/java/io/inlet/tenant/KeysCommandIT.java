package io.inlet.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.inlet.testing.InletApp;
import io.inlet.testing.InletProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator interface of the packaged jar: {@code keys create}, settings from -D and the environment, the dev tenant. */
class KeysCommandIT {

    static final String ACCOUNT = "{\"stream\":\"account\",\"data\":[{\"account_id\":\"a\",\"domain\":\"acme.com\","
            + "\"account_properties\":{}}]}";

    @TempDir
    Path dataDir;

    @Test
    void keysCreatePrintsTheKeyLastStoresOnlyItsHashAndTheServiceAcceptsIt() throws Exception {
        InletProcess.Result created = InletProcess.run(Map.of("inlet.data-dir", dataDir.toString()), Map.of(),
                "keys", "create", "--tenant", "acme");

        assertThat(created.exitCode()).as(created.stderr()).isZero();
        String key = created.lastStdoutLine();
        assertThat(key).matches("inlet_[A-Za-z0-9_-]{43}");
        String stored = Files.readString(dataDir.resolve("api-keys.json"));
        assertThat(stored).contains("\"tenant\" : \"acme\"").contains("sha256").doesNotContain(key)
                .doesNotContain(key.substring("inlet_".length()));

        Map<String, String> settings = Map.of(
                "inlet.data-dir", dataDir.toString(),
                "camel.server.port", String.valueOf(InletApp.freePort()),
                "inlet.s3.embedded.port", String.valueOf(InletApp.freePort()),
                "inlet.dropfolder.dir", dataDir.resolve("drop").toString());
        try (InletProcess service = InletProcess.start(settings, "256m")) {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + settings.get("camel.server.port") + "/ingestion/upload-json"))
                    .header("x-api-key", key).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(ACCOUNT)).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(response.body()).contains("tenant=acme/");
            // Keys existed, so no dev tenant was made and no key was logged.
            assertThat(service.log()).doesNotContain("tenant 'dev' was created").doesNotContain(key);
        }
    }

    /** A longer grace never lengthens an earlier one: the rotation said the longer one for every key. */
    @Test
    void aRotationNamesEachEarlierKeysOwnExpiry() throws Exception {
        Map<String, String> settings = Map.of("inlet.data-dir", dataDir.toString());
        assertThat(InletProcess.run(settings, Map.of(), "keys", "create", "--tenant", "rot").exitCode()).isZero();
        InletProcess.Result first = InletProcess.run(settings, Map.of(), "keys", "rotate", "--tenant", "rot", "--grace", "PT10M");
        InletProcess.Result second = InletProcess.run(settings, Map.of(), "keys", "rotate", "--tenant", "rot", "--grace", "PT24H");

        java.util.regex.Matcher firstSaid = java.util.regex.Pattern.compile(
                "Its earlier keys (\\S+) stay accepted until (\\S+) ").matcher(first.stdout());
        assertThat(firstSaid.find()).as(first.stdout()).isTrue();
        java.util.regex.Matcher minted = java.util.regex.Pattern.compile("Created API key (\\S+) ").matcher(first.stdout());
        assertThat(minted.find()).isTrue();
        // the first key keeps its 10 minutes; the key the first rotation made gets the 24 hours
        assertThat(second.stdout()).as(second.stdout()).contains(firstSaid.group(1) + " stay accepted until " + firstSaid.group(2) + "; ")
                .containsPattern(minted.group(1) + " stay accepted until \\S+ \\(grace PT24H");
    }

    @Test
    void settingsComeFromTheEnvironmentToo(@TempDir Path fromEnv) throws Exception {
        InletProcess.Result created = InletProcess.run(Map.of(), Map.of("INLET_DATA_DIR", fromEnv.toString()),
                "keys", "create", "--tenant", "env-tenant");

        assertThat(created.exitCode()).as(created.stderr()).isZero();
        assertThat(Files.readString(fromEnv.resolve("api-keys.json"))).contains("env-tenant");
    }

    /** Started by a test, the service has no terminal: as under a service manager or in a container. */
    @Test
    void aFirstStartWithoutKeysAndWithoutATerminalCreatesNoTenantAndSaysHowToCreateAKey() throws Exception {
        Map<String, String> settings = Map.of(
                "inlet.data-dir", dataDir.toString(),
                "camel.server.port", String.valueOf(InletApp.freePort()),
                "inlet.s3.embedded.port", String.valueOf(InletApp.freePort()),
                "inlet.dropfolder.dir", dataDir.resolve("drop").toString());
        try (InletProcess service = InletProcess.start(settings, "256m")) {
            assertThat(service.log()).contains("No API keys exist").contains("keys create --tenant")
                    .doesNotContain("was created");
            assertThat(upload(settings, "inlet_not-a-key").statusCode()).isEqualTo(401);

            // a key created while it runs is accepted at once
            String key = InletProcess.createKey(settings, "first");
            HttpResponse<String> response = upload(settings, key);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains("tenant=first/");
            assertThat(service.log()).doesNotContain(key);
        }
    }

    private static HttpResponse<String> upload(Map<String, String> settings, String key) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + settings.get("camel.server.port") + "/ingestion/upload-json"))
                .header("x-api-key", key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(ACCOUNT)).build(), HttpResponse.BodyHandlers.ofString());
    }
}

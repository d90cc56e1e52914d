package io.inlet.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.inlet.testing.Await;
import io.inlet.testing.InletProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keys revoke}, {@code keys rotate} and {@code keys list} against a running service, all as processes. */
class KeyLifecycleIT {

    @TempDir
    Path dataDir;

    /** What an accepted key gets from the status endpoint asked about a file key nobody has (a refused one: 401). */
    private static final int ACCEPTED = 404;
    private static final int REFUSED = 401;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void revokeAndRotateReachARunningServiceAndListShowsWhatBecameOfEachKey() throws Exception {
        Map<String, String> settings = InletProcess.settingsFor(dataDir);
        settings.put("inlet.keys.last-used-interval", "PT1S");
        Map<String, String> cli = Map.of("inlet.data-dir", dataDir.toString());
        ApiKeys keys = new ApiKeys(dataDir.resolve("api-keys.json"));
        ApiKeys.Minted revoked = keys.create("acme");
        ApiKeys.Minted rotated = keys.create("acme");

        try (InletProcess service = InletProcess.start(settings, "256m")) {
            String base = InletProcess.baseUrl(settings);
            assertThat(status(base, revoked.key()).statusCode()).isEqualTo(ACCEPTED);
            assertThat(status(base, rotated.key()).statusCode()).isEqualTo(ACCEPTED);
            HttpResponse<String> unknown = status(base, ApiKeys.KEY_PREFIX + "x".repeat(43));

            InletProcess.Result revoke = InletProcess.run(cli, Map.of(), "keys", "revoke", revoked.keyId());
            assertThat(revoke.exitCode()).as(revoke.stderr()).isZero();
            assertThat(revoke.stdout()).contains("Revoked API key " + revoked.keyId() + " of tenant acme");
            // a second, and slack for a busy machine (the request itself, the scheduler)
            Await.until("the revoked key is refused", Duration.ofSeconds(2),
                    () -> status(base, revoked.key()).statusCode() == REFUSED);
            HttpResponse<String> refused = status(base, revoked.key());
            assertThat(refused.body()).as("a revoked key tells nothing an unknown key does not").isEqualTo(unknown.body());
            assertThat(status(base, rotated.key()).statusCode()).isEqualTo(ACCEPTED);

            InletProcess.Result rotate = InletProcess.run(cli, Map.of(), "keys", "rotate", "--tenant", "acme",
                    "--grace", "PT5S");
            assertThat(rotate.exitCode()).as(rotate.stderr()).isZero();
            String newKey = rotate.lastStdoutLine();
            Matcher created = Pattern.compile("Created API key (\\S+) for tenant acme").matcher(rotate.stdout());
            assertThat(created.find()).as(rotate.stdout()).isTrue();
            String newKeyId = created.group(1);
            Matcher until = Pattern.compile("earlier keys " + rotated.keyId() + " stay accepted until (\\S+) ")
                    .matcher(rotate.stdout());
            assertThat(until.find()).as(rotate.stdout()).isTrue();
            Instant expiresAt = Instant.parse(until.group(1));
            assertThat(status(base, newKey).statusCode()).as("a rotated-in key works at once").isEqualTo(ACCEPTED);
            assertThat(status(base, rotated.key()).statusCode()).as("within the grace period").isEqualTo(ACCEPTED);

            // (while the grace period runs out)
            InletProcess.Result unknownId = InletProcess.run(cli, Map.of(), "keys", "revoke", "0123456789ab");
            assertThat(unknownId.exitCode()).isNotZero();
            assertThat(unknownId.stderr()).contains("No API key has the id '0123456789ab'");

            Await.until("the rotated-out key is refused", Duration.ofSeconds(10),
                    () -> status(base, rotated.key()).statusCode() == REFUSED);
            Instant storedExpiry = keys.list().stream().filter(k -> k.keyId().equals(rotated.keyId()))
                    .map(k -> Instant.parse(k.expiresAt())).findFirst().orElseThrow();
            assertThat(Instant.now()).as("refused once the grace period is over").isAfterOrEqualTo(storedExpiry);
            assertThat(status(base, newKey).statusCode()).isEqualTo(ACCEPTED);

            String[] listed = new String[1];
            Await.until("keys list shows the last use of every key", Duration.ofSeconds(15), () -> {
                listed[0] = list(cli);
                return !listed[0].contains("never");
            });
            List<String> lines = listed[0].lines().toList();
            assertThat(lines.get(0)).matches("KEY_ID +TENANT +CREATED +LAST_USED +STATE");
            assertThat(row(lines, revoked.keyId())).matches(row("revoked \\S+Z"));
            assertThat(row(lines, rotated.keyId())).matches(row("expired " + Pattern.quote(expiresAt.toString())));
            assertThat(row(lines, newKeyId)).matches(row("active"));
            for (String key : List.of(revoked.key(), rotated.key(), newKey)) {
                assertThat(listed[0]).doesNotContain(key).doesNotContain(key.substring(ApiKeys.KEY_PREFIX.length()));
                assertThat(service.log()).doesNotContain(key.substring(ApiKeys.KEY_PREFIX.length()));
                assertThat(Files.readString(dataDir.resolve("api-keys.json")))
                        .doesNotContain(key.substring(ApiKeys.KEY_PREFIX.length()));
            }
            assertThat(listed[0]).doesNotContainPattern("[0-9a-f]{13,}");
        }
    }

    private static String row(List<String> lines, String keyId) {
        return lines.stream().filter(l -> l.startsWith(keyId + " ")).findFirst().orElseThrow(
                () -> new AssertionError(keyId + " is not listed:\n" + String.join("\n", lines)));
    }

    /** id, tenant, created and last used (both to the second), then the state. */
    private static String row(String state) {
        String time = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ";
        return "[0-9a-f]{12} +acme +" + time + " +" + time + " +" + state;
    }

    private static String list(Map<String, String> cli) {
        try {
            InletProcess.Result listed = InletProcess.run(cli, Map.of(), "keys", "list");
            assertThat(listed.exitCode()).as(listed.stderr()).isZero();
            return listed.stdout();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> status(String base, String key) {
        try {
            // any authenticated endpoint will do: the status of a file key the tenant does not have
            return http.send(HttpRequest.newBuilder(URI.create(base + "/ingestion/uploads/status?file_key=none"))
                    .header("x-api-key", key).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

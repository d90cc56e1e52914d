package io.inlet.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import io.inlet.testing.InletApp;
import io.inlet.testing.InletProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * While the service starts or stops, an API request is refused or told to retry (503 with Retry-After), never answered
 * 404 "not found" as if the endpoint did not exist (a client may take a 404 on confirm-upload for "nothing was
 * uploaded").
 */
class StartupIT {

    @TempDir
    Path dataDir;

    @Test
    void anApiRequestDuringTheStartOrTheStopIsToldToRetryNotNotFound() throws Exception {
        int port = InletApp.freePort();
        Map<String, String> settings = new HashMap<>();
        settings.put("inlet.data-dir", dataDir.toString());
        settings.put("camel.server.port", String.valueOf(port));
        settings.put("inlet.s3.embedded.port", String.valueOf(InletApp.freePort()));
        String key = InletProcess.run(Map.of("inlet.data-dir", dataDir.toString()), Map.of(),
                "keys", "create", "--tenant", "starting").lastStdoutLine();

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest list = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/ingestion/uploads"))
                .header("x-api-key", key).timeout(Duration.ofSeconds(5)).build();
        Set<Integer> answered = ConcurrentHashMap.newKeySet();
        AtomicBoolean listed = new AtomicBoolean();
        Thread asking = new Thread(() -> {
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (!listed.get() && System.nanoTime() < deadline) {
                try {
                    int status = http.send(list, HttpResponse.BodyHandlers.discarding()).statusCode();
                    answered.add(status);
                    listed.set(status == 200);
                } catch (Exception notListening) {
                    // not yet listening
                }
            }
        });
        asking.start();
        Set<Integer> whileStopping = ConcurrentHashMap.newKeySet();
        AtomicBoolean stopped = new AtomicBoolean();
        try (InletProcess inlet = InletProcess.start(settings, "256m")) {
            asking.join(Duration.ofSeconds(90).toMillis());
            assertThat(listed).as("listed once started").isTrue();
            // and while it stops (SIGTERM: a graceful stop, its routes stopping one by one)
            Thread stopping = new Thread(() -> {
                while (!stopped.get()) {
                    try {
                        whileStopping.add(http.send(list, HttpResponse.BodyHandlers.discarding()).statusCode());
                    } catch (Exception notListening) {
                        // stopped listening
                    }
                }
            });
            stopping.start();
            Thread.sleep(200);
            inlet.close();
            stopped.set(true);
            stopping.join();
        }
        assertThat(answered).as("what the API answered while it started").isSubsetOf(503, 200);
        assertThat(whileStopping).as("what the API answered while it stopped").isSubsetOf(503, 200);
    }
}

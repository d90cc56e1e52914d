package io.inlet.sender;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

/** The sender's retries against a server that says "later": never sooner than it asked. */
class RetriesTest {

    @Test
    void aRetryNeverComesBeforeTheAnswersRetryAfter() throws Exception {
        List<Long> arrivals = new CopyOnWriteArrayList<>();
        AtomicInteger answered = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            arrivals.add(System.nanoTime());
            boolean later = answered.getAndIncrement() < 3;
            if (later) {
                exchange.getResponseHeaders().add("Retry-After", "1");
            }
            exchange.sendResponseHeaders(later ? 503 : 200, -1);
            exchange.close();
        });
        server.start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            StringWriter notices = new StringWriter();
            URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");

            HttpResponse<Void> answer = new Retries(5, Duration.ofMillis(10), new PrintWriter(notices)).send("probe",
                    () -> http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding()));

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(arrivals).hasSize(4);
            for (int i = 1; i < arrivals.size(); i++) {
                assertThat(Duration.ofNanos(arrivals.get(i) - arrivals.get(i - 1))).as("retry %d", i)
                        .isGreaterThanOrEqualTo(Duration.ofSeconds(1)).isLessThan(Duration.ofSeconds(3));
            }
            assertThat(notices.toString()).contains("probe failed (HTTP 503); attempt 2 of 5 in ");
        } finally {
            server.stop(0);
        }
    }
}

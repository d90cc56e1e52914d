package io.inlet.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.inlet.Json;
import io.inlet.testing.Await;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.SlowClients;
import org.junit.jupiter.api.Test;

/**
 * Request bodies held at once stay within inlet.http.body-bytes-in-flight, taken at the request's head: connections
 * that send part of a megabyte body and wait hold their share, the next request over it is answered 503 with
 * Retry-After before a byte of its body is read, one tenant holds at most half, and what a request held is given back
 * when its connection ends. (Measured before, against the packaged service at -Xmx512m: 700 such connections of one
 * tenant ran it out of memory within 2 s, and it stayed up answering nothing.)
 */
class BodiesInFlightTest {

    private static final int MIB = 1 << 20;
    private static final String SMALL_BATCH = """
            {"stream":"contact","data":[{"contact_id":"c-1","email":"jane@acme.com","contact_properties":{}}]}""";

    @Test
    void bodiesHeldAtOnceStayWithinTheBudgetAndOneTenantWithinHalf() throws Exception {
        try (InletApp app = InletApp.start(Map.of("inlet.http.body-bytes-in-flight", String.valueOf(4 * MIB)))) {
            BodiesInFlight bodies = app.camel().getRegistry().lookupByNameAndType("bodiesInFlight", BodiesInFlight.class);
            Tenant hog = app.newTenant("hog");
            Tenant second = app.newTenant("second");
            Tenant third = app.newTenant("third");
            URI api = URI.create(app.baseUrl());
            List<Socket> waiting = new ArrayList<>();
            try {
                waiting.add(startBody(api, hog.key()));
                waiting.add(startBody(api, hog.key()));
                Await.until("the hog's two bodies held", Duration.ofSeconds(10), () -> bodies.held() == 2L * MIB);

                // its share (half of 4 MiB) is taken: refused at the head, whatever its body
                Socket refused = startBody(api, hog.key());
                waiting.add(refused);
                String answer = SlowClients.answer(refused);
                assertThat(answer).startsWith("HTTP/1.1 503").containsIgnoringCase("Retry-After: 1")
                        .contains("tenant '" + hog.id() + "' is sending 2.0 MiB of request bodies at once, its most");
                assertThat(app.post("/ingestion/upload-json", second.key(), SMALL_BATCH).statusCode())
                        .as("another tenant").isEqualTo(200);

                waiting.add(startBody(api, second.key()));
                waiting.add(startBody(api, second.key()));
                Await.until("four bodies held", Duration.ofSeconds(10), () -> bodies.held() == 4L * MIB);
                HttpResponse<String> full = app.post("/ingestion/upload-json", third.key(), SMALL_BATCH);
                assertThat(full.statusCode()).isEqualTo(503);
                assertThat(full.headers().firstValue("Retry-After")).contains("1");
                assertThat(Json.mapper().readTree(full.body()).get("message").asText())
                        .startsWith("Too many request bodies at once: Inlet is receiving 4.0 MiB of request bodies");
                assertThat(app.get("/observe/health", null).statusCode()).as("no body, not counted").isEqualTo(200);
            } finally {
                for (Socket socket : waiting) {
                    socket.close();
                }
            }
            Await.until("given back as the connections end", Duration.ofSeconds(10), () -> bodies.held() == 0);
            assertThat(app.post("/ingestion/upload-json", hog.key(), SMALL_BATCH).statusCode()).isEqualTo(200);
            assertThat(bodies.held()).as("answered requests give theirs back").isZero();
        }
    }

    /** An upload-json request stating a 1 MiB body, of which it sends a little and then waits. */
    private static Socket startBody(URI api, String key) throws IOException {
        Socket socket = new Socket(api.getHost(), api.getPort());
        socket.getOutputStream().write(("POST /ingestion/upload-json HTTP/1.1\r\nHost: " + api.getAuthority()
                + "\r\nx-api-key: " + key + "\r\nContent-Type: application/json\r\nContent-Length: " + MIB
                + "\r\n\r\n{\"stream\":\"contact\",\"data\":[").getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }
}

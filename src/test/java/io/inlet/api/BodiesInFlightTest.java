package io.inlet.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.inlet.testing.Await;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.SlowClients;
import org.junit.jupiter.api.Test;

/**
 * Request bodies held at once stay within inlet.http.body-bytes-in-flight, taken at the request's head: connections
 * that send part of a megabyte body and wait hold their share, the next request over it is answered 503 with
 * Retry-After before a byte of its body is read, one tenant holds at most a quarter, the last quarter is kept for
 * tenants holding none, and what a request held is given back when its connection ends. Keyless paths take no body. (Measured before, against the packaged service at -Xmx512m: 700 such connections of one
 * tenant ran it out of memory within 2 s, and it stayed up answering nothing.)
 */
class BodiesInFlightTest {

    private static final int MIB = 1 << 20;
    private static final String SMALL_BATCH = """
            {"stream":"contact","data":[{"contact_id":"c-1","email":"jane@acme.com","contact_properties":{}}]}""";

    @Test
    void bodiesHeldAtOnceStayWithinTheBudgetOneTenantWithinAQuarterAndTheLastQuarterForTenantsHoldingNone()
            throws Exception {
        // 16 MiB: a tenant holds at most 4; tenants holding some share 12; 4 are kept for tenants holding none
        try (InletApp app = InletApp.start(Map.of("inlet.http.body-bytes-in-flight", String.valueOf(16 * MIB)))) {
            BodiesInFlight bodies = app.camel().getRegistry().lookupByNameAndType("bodiesInFlight", BodiesInFlight.class);
            List<Tenant> holders = List.of(app.newTenant("hog"), app.newTenant("second"), app.newTenant("third"));
            Tenant fourth = app.newTenant("fourth");
            Tenant newcomer = app.newTenant("newcomer");
            URI api = URI.create(app.baseUrl());
            List<Socket> waiting = new ArrayList<>();
            try {
                Tenant hog = holders.get(0);
                for (int i = 0; i < 4; i++) {
                    waiting.add(startBody(api, hog.key()));
                }
                Await.until("the hog's four bodies held", Duration.ofSeconds(10), () -> bodies.held() == 4L * MIB);

                // its share is taken: refused at the head, whatever its body
                Socket refused = startBody(api, hog.key());
                waiting.add(refused);
                assertThat(SlowClients.answer(refused)).startsWith("HTTP/1.1 503").containsIgnoringCase("Retry-After: 1")
                        .contains("tenant '" + hog.id() + "' is sending 4.0 MiB of request bodies at once, its most");

                for (Tenant holder : holders.subList(1, 3)) {
                    for (int i = 0; i < 4; i++) {
                        waiting.add(startBody(api, holder.key()));
                    }
                }
                Await.until("twelve bodies held", Duration.ofSeconds(10), () -> bodies.held() == 12L * MIB);
                waiting.add(startBody(api, fourth.key()));
                Await.until("the fourth's first body held", Duration.ofSeconds(10), () -> bodies.held() == 13L * MIB);
                Socket over = startBody(api, fourth.key());
                waiting.add(over);
                assertThat(SlowClients.answer(over)).startsWith("HTTP/1.1 503")
                        .contains("Inlet is receiving 13.0 MiB of request bodies at once");
                assertThat(app.post("/ingestion/upload-json", newcomer.key(), SMALL_BATCH).statusCode())
                        .as("a tenant holding none still gets through").isEqualTo(200);
                assertThat(app.get("/observe/health", null).statusCode()).as("no body, not counted").isEqualTo(200);
            } finally {
                for (Socket socket : waiting) {
                    socket.close();
                }
            }
            Await.until("given back as the connections end", Duration.ofSeconds(10), () -> bodies.held() == 0);
            assertThat(app.post("/ingestion/upload-json", holders.get(0).key(), SMALL_BATCH).statusCode()).isEqualTo(200);
            // given back when the answer is out, which its client may read a moment before
            Await.until("answered requests give theirs back", Duration.ofSeconds(5), () -> bodies.held() == 0);
        }
    }

    /** Paths that take no key take no body either: refused unread, so nobody without a key can make the service hold one. */
    @Test
    void aBodyToAPathWithoutAKeyIsRefusedUnread() throws Exception {
        InletApp app = InletApp.shared();
        URI api = URI.create(app.baseUrl());
        for (String path : List.of("/openapi.json", "/observe/health", "/console/", "/ingestion/../openapi.json")) {
            try (Socket socket = new Socket(api.getHost(), api.getPort())) {
                socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + api.getAuthority()
                        + "\r\nContent-Length: " + MIB + "\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
                assertThat(SlowClients.answer(socket)).as(path).startsWith("HTTP/1.1 413")
                        .contains("Only the /ingestion/ endpoints take a request body");
            }
        }
        assertThat(app.get("/openapi.json", null).statusCode()).as("without a body").isEqualTo(200);
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

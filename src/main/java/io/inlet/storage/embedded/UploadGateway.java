package io.inlet.storage.embedded;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.inlet.http.ConnectionCap;
import io.inlet.http.RequestHeadTimeout;
import io.inlet.storage.FileKey;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded S3's public port: what presigned upload URLs and operators' S3 tools reach. It checks each request
 * against {@link UploadRequestRules} and checks its SigV4 signature ({@link PresignedSignatures},
 * {@link HeaderSignatures}) before reading its body, admits a bounded number at a time
 * ({@link UploadAdmission}), and streams admitted ones to S3Proxy's upload listener on loopback. Connections
 * are event-driven here, so a slow client costs no thread until it is admitted; an admitted body that trickles
 * in below the minimum rate is cut off, and so is a connection that does not finish its request head in time.
 * The service's own S3 calls never come through here: they have a listener and threads of their own.
 */
final class UploadGateway {

    private static final Logger LOG = LoggerFactory.getLogger(UploadGateway.class);
    /** How long the rest of a refused request's body is read and dropped before its connection is closed. */
    private static final long REFUSED_BODY_LINGER_MILLIS = 2_000;
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "upgrade", "transfer-encoding");

    /** {@code signedPayloadBytes}: bodies the store reads whole before checking their signature, at once. */
    record Limits(int maxInFlight, int maxPerClient, int maxPerTenant, long minBytesPerSecond, Duration minRateWindow,
            Duration idleTimeout, Duration headerTimeout, long maxPutBytes, long signedPayloadBytes, int maxConnections,
            int maxConnectionsPerAddress) {
    }

    private final Limits limits;
    private final PresignedSignatures signatures;
    private final HeaderSignatures headerSignatures;
    private final UploadAdmission admission;
    private final Vertx vertx;
    private final HttpClient backend;
    private final int backendPort;
    private final String backendToken;
    private final RequestHeadTimeout headTimeout;
    private final ConnectionCap connections;
    private final Set<Upload> uploads = ConcurrentHashMap.newKeySet();
    /** Bytes of signed-payload bodies admitted and not finished (see {@link #readWholeByStore}). */
    private final AtomicLong signedPayloadBytes = new AtomicLong();
    private HttpServer server;

    UploadGateway(int backendPort, String backendToken, Limits limits, PresignedSignatures signatures,
            HeaderSignatures headerSignatures) {
        this.backendPort = backendPort;
        this.backendToken = backendToken;
        this.limits = limits;
        this.signatures = signatures;
        this.headerSignatures = headerSignatures;
        this.admission = new UploadAdmission(limits.maxInFlight(), limits.maxPerClient(), limits.maxPerTenant());
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1));
        this.headTimeout = new RequestHeadTimeout(vertx, limits.headerTimeout());
        this.connections = new ConnectionCap("embedded S3", limits.maxConnections(), limits.maxConnectionsPerAddress());
        this.backend = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
                new PoolOptions().setHttp1MaxSize(limits.maxInFlight()));
    }

    /** Listens on host:port (0 = any free port); returns the port. */
    int start(String host, int port) throws Exception {
        HttpServerOptions options = new HttpServerOptions()
                .setIdleTimeout((int) limits.idleTimeout().toSeconds())
                .setIdleTimeoutUnit(TimeUnit.SECONDS)
                .setHandle100ContinueAutomatically(false)
                // S3 clients speak HTTP/1.1; sniffing for an h2c preface would also delay the connection handler
                // (and so the header timeout) until the client has sent enough bytes.
                .setHttp2ClearTextEnabled(false);
        server = vertx.createHttpServer(options)
                .connectionHandler(connection -> {
                    if (connections.admit(connection)) {
                        headTimeout.awaitHead(connection);
                    }
                })
                .requestHandler(this::handle)
                .listen(port, host)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        vertx.setPeriodic(1000, id -> cutOffSlowBodies());
        return server.actualPort();
    }

    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    int inFlight() {
        return admission.inFlight();
    }

    private void handle(HttpServerRequest request) {
        headTimeout.headReceived(request.connection());
        request.pause();
        String method = request.method().name();
        Map<String, String> query = firstValues(request.params());
        Map<String, String> headers = firstValues(request.headers());
        Optional<UploadRequestRules.Refusal> refusal = UploadRequestRules.check(method, request.path(), query, headers,
                limits.maxPutBytes());
        if (refusal.isEmpty() && request.params().names().stream().anyMatch(n -> request.params().getAll(n).size() > 1)) {
            // The rules read the first value of each parameter; S3 must not be left to pick another one.
            refusal = Optional.of(new UploadRequestRules.Refusal(400, "InvalidArgument",
                    "A query parameter is given more than once"));
        }
        if (refusal.isPresent()) {
            LOG.debug("Embedded S3: refused {} {}: {}", method, request.path(), refusal.get().code());
            refuse(request, refusal.get());
            return;
        }
        boolean presignedPut = method.equals("PUT") && request.getParam("X-Amz-Signature") != null;
        // Before admission: a forged request must hold no slot (a forged URL naming a tenant's key would hold that
        // tenant's), nor wait for a body the store would read whole before it judged the signature.
        if (presignedPut) {
            refusal = signatures.check(method, request.path(), query, headers);
        } else if (!method.equals("OPTIONS") && HeaderSignatures.signedInHeaders(request.headers())) {
            refusal = headerSignatures.check(method, request.path(), request.params(), request.headers());
        }
        if (refusal.isPresent()) {
            LOG.debug("Embedded S3: refused {} {}: {}", method, request.path(), refusal.get().code());
            refuse(request, refusal.get());
            return;
        }
        long readWhole = readWholeByStore(method, headers) ? statedLength(headers) : 0;
        if (readWhole > limits.signedPayloadBytes()) {
            refuse(request, new UploadRequestRules.Refusal(400, "EntityTooLarge", "A PUT whose payload is signed is"
                    + " read whole into memory before it is stored: at most " + limits.signedPayloadBytes() + " bytes"
                    + " (send larger objects as multipart uploads, or with an unsigned or streaming payload)"));
            return;
        }
        if (readWhole > 0 && signedPayloadBytes.addAndGet(readWhole) > limits.signedPayloadBytes()) {
            signedPayloadBytes.addAndGet(-readWhole);
            refuse(request, new UploadRequestRules.Refusal(503, "SlowDown",
                    "Too many PUTs with a signed payload at once; retry later"));
            return;
        }
        String client = request.remoteAddress() == null ? "?" : request.remoteAddress().hostAddress();
        String object = presignedPut ? request.path() : null;
        String tenant = presignedPut ? tenantOf(request.path()) : null;
        UploadAdmission.Verdict verdict = admission.admit(client, object, tenant);
        if (verdict != UploadAdmission.Verdict.ADMITTED) {
            signedPayloadBytes.addAndGet(-readWhole);
        }
        switch (verdict) {
            case ADMITTED -> forward(request, new Upload(request, client, object, tenant, readWhole,
                    Vertx.currentContext()));
            case OBJECT_BUSY -> refuse(request, new UploadRequestRules.Refusal(409, "OperationAborted",
                    "Another upload to this URL is in progress"));
            default -> refuse(request, new UploadRequestRules.Refusal(503, "SlowDown",
                    "Too many uploads at once" + switch (verdict) {
                        case CLIENT_BUSY -> " from this address";
                        case TENANT_BUSY -> " to this tenant's upload URLs";
                        default -> "";
                    } + "; retry later"));
        }
    }

    /**
     * Whether the store reads this request's body whole before it checks the signature: a header-signed SigV4 PUT or
     * POST whose payload is signed (x-amz-content-sha256 a hash, or missing), as S3Proxy verifies that hash first.
     */
    static boolean readWholeByStore(String method, Map<String, String> headers) {
        String authorization = UploadRequestRules.first(headers, "authorization");
        if (authorization == null || !authorization.startsWith("AWS4-") || !(method.equals("PUT") || method.equals("POST"))) {
            return false;
        }
        String payload = UploadRequestRules.first(headers, "x-amz-content-sha256");
        return payload == null || !(payload.equals("UNSIGNED-PAYLOAD") || payload.startsWith("STREAMING-"));
    }

    /** The body's stated length; without one (chunked), as much as is ever let through. */
    private long statedLength(Map<String, String> headers) {
        String length = UploadRequestRules.first(headers, "content-length");
        try {
            return length == null ? limits.signedPayloadBytes() : Math.max(0, Long.parseLong(length.trim()));
        } catch (NumberFormatException e) {
            return limits.signedPayloadBytes();
        }
    }

    /** The tenant whose file key a presigned PUT's path ({@code /bucket/key}, percent-encoded) names, or null. */
    static String tenantOf(String path) {
        int keyStart = path.indexOf('/', 1);
        if (keyStart < 0) {
            return null;
        }
        try {
            String key = URLDecoder.decode(path.substring(keyStart + 1).replace("+", "%2B"), StandardCharsets.UTF_8);
            return FileKey.parse(key).map(FileKey::tenant).orElse(null);
        } catch (IllegalArgumentException badEscape) {
            // not a key a presigned URL names (S3 refuses it after admission); counted as nobody's
            return null;
        }
    }

    private void forward(HttpServerRequest request, Upload upload) {
        RequestOptions options = new RequestOptions()
                .setMethod(request.method())
                .setServer(SocketAddress.inetSocketAddress(backendPort, "127.0.0.1"))
                .setURI(request.uri());
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        request.headers().forEach((name, value) -> {
            if (!HOP_BY_HOP.contains(name.toLowerCase()) && !name.equalsIgnoreCase(GatewayOnly.HEADER)) {
                headers.add(name, value);
            }
        });
        headers.add(GatewayOnly.HEADER, backendToken);
        options.setHeaders(headers);
        backend.request(options).onComplete(opened -> {
            if (opened.failed()) {
                upload.finish();
                refuse(request, new UploadRequestRules.Refusal(503, "ServiceUnavailable", "Storage is not reachable"));
                return;
            }
            HttpClientRequest outbound = opened.result();
            upload.outbound = outbound;
            boolean hasBody = request.headers().contains(HttpHeaders.CONTENT_LENGTH)
                    || request.headers().contains(HttpHeaders.TRANSFER_ENCODING);
            if (!request.headers().contains(HttpHeaders.CONTENT_LENGTH) && hasBody) {
                outbound.setChunked(true);
            }
            outbound.response().onComplete(answered -> {
                if (answered.failed()) {
                    upload.abort("storage failed (" + answered.cause().getMessage() + ")");
                } else {
                    relay(answered.result(), upload);
                }
            });
            if (request.headers().contains(HttpHeaders.EXPECT)) {
                // The backend decides whether the body is wanted (a bad signature is refused before a 2 GB body).
                outbound.continueHandler(v -> request.response().writeContinue());
            }
            // The head goes now, not with the first body byte: a request S3 refuses from its head alone (a forged
            // signature it can check without the body) is answered, and its slot freed, even if no body ever comes.
            outbound.sendHead();
            if (hasBody) {
                uploads.add(upload);
            }
            request.handler(chunk -> {
                upload.received.addAndGet(chunk.length());
                outbound.write(chunk);
                if (outbound.writeQueueFull()) {
                    request.pause();
                    outbound.drainHandler(v -> request.resume());
                }
            });
            request.endHandler(v -> {
                upload.bodyDone = true;
                uploads.remove(upload);
                outbound.end();
            });
            request.exceptionHandler(e -> upload.abort("the client connection failed"));
            request.connection().closeHandler(v -> upload.abort("the client went away"));
            request.resume();
        });
    }

    private void relay(HttpClientResponse answer, Upload upload) {
        HttpServerResponse response = upload.request.response();
        response.setStatusCode(answer.statusCode());
        answer.headers().forEach((name, value) -> {
            if (!HOP_BY_HOP.contains(name.toLowerCase())) {
                response.headers().add(name, value);
            }
        });
        if (!answer.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
            response.setChunked(true);
        }
        if (!upload.bodyDone) {
            // Answered before the body was read (refused): the rest of it is not wanted on this connection.
            response.putHeader(HttpHeaders.CONNECTION, "close");
        }
        answer.pipeTo(response).onComplete(done -> {
            boolean bodyDone = upload.bodyDone;
            upload.finish();
            if (!bodyDone || done.failed()) {
                upload.request.connection().close();
            } else {
                headTimeout.awaitHead(upload.request.connection());
            }
        });
    }

    private void cutOffSlowBodies() {
        long now = System.nanoTime();
        long windowNanos = limits.minRateWindow().toNanos();
        long minBytes = limits.minBytesPerSecond() * Math.max(1, limits.minRateWindow().toSeconds());
        for (Upload upload : uploads) {
            if (now - upload.windowStart < windowNanos) {
                continue;
            }
            long received = upload.received.get();
            if (received - upload.receivedAtWindowStart < minBytes && !upload.bodyDone) {
                uploads.remove(upload);
                upload.context.runOnContext(v -> upload.timeOut());
            } else {
                upload.windowStart = now;
                upload.receivedAtWindowStart = received;
            }
        }
    }

    private static Map<String, String> firstValues(MultiMap entries) {
        Map<String, String> first = new LinkedHashMap<>();
        entries.forEach((name, value) -> first.putIfAbsent(name, value));
        return first;
    }

    private void refuse(HttpServerRequest request, UploadRequestRules.Refusal refusal) {
        HttpServerResponse response = request.response();
        HttpConnection connection = request.connection();
        if (response.headWritten()) {
            connection.close();
            return;
        }
        // The body is not wanted, but closing with its bytes unread makes the system reset the connection, and a
        // client still sending then loses the answer: what arrives is dropped until the body ends, or for a
        // moment at most, and then the connection is closed.
        AtomicBoolean answered = new AtomicBoolean();
        if (!request.isEnded()) {
            request.handler(dropped -> { });
            request.endHandler(ended -> {
                if (answered.get()) {
                    connection.close();
                }
            });
            request.resume();
        }
        response.setStatusCode(refusal.status())
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/xml")
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(Buffer.buffer(errorXml(refusal.code(), refusal.message())))
                .onComplete(written -> {
                    answered.set(true);
                    if (request.isEnded()) {
                        connection.close();
                    } else {
                        vertx.setTimer(REFUSED_BODY_LINGER_MILLIS, id -> connection.close());
                    }
                });
    }

    private static String errorXml(String code, String message) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>"
                + message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                + "</Message></Error>";
    }

    /** One admitted request, from admission until its answer is sent or it is cut off. */
    private final class Upload {
        final HttpServerRequest request;
        final String client;
        final String object;
        final String tenant;
        /** Its bytes counted in {@link #signedPayloadBytes}. */
        final long readWhole;
        final Context context;
        final AtomicLong received = new AtomicLong();
        final AtomicBoolean finished = new AtomicBoolean();
        volatile boolean bodyDone;
        volatile long windowStart = System.nanoTime();
        volatile long receivedAtWindowStart;
        HttpClientRequest outbound;

        Upload(HttpServerRequest request, String client, String object, String tenant, long readWhole, Context context) {
            this.request = request;
            this.client = client;
            this.object = object;
            this.tenant = tenant;
            this.readWhole = readWhole;
            this.context = context;
        }

        /** Frees the slot; true for the one caller that did. */
        boolean finish() {
            if (!finished.compareAndSet(false, true)) {
                return false;
            }
            uploads.remove(this);
            admission.release(client, object, tenant);
            signedPayloadBytes.addAndGet(-readWhole);
            return true;
        }

        /** The body arrives below the minimum rate: give up on it so its slot and thread are free again. */
        void timeOut() {
            if (!finish()) {
                return;
            }
            LOG.info("Embedded S3: cut off an upload to {} from {} ({} bytes received, below {} bytes/s)",
                    request.path(), client, received.get(), limits.minBytesPerSecond());
            if (outbound != null) {
                outbound.reset();
            }
            refuse(request, new UploadRequestRules.Refusal(400, "RequestTimeout",
                    "The request body arrived too slowly (under " + limits.minBytesPerSecond()
                            + " bytes/s); it was not stored"));
        }

        void abort(String why) {
            if (!finish()) {
                return;
            }
            LOG.debug("Embedded S3: {} {} ended early: {}", request.method(), request.path(), why);
            if (outbound != null) {
                outbound.reset();
            }
            if (!request.response().ended() && !request.response().closed()) {
                request.connection().close();
            }
        }
    }
}

package io.inlet.sender;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import io.inlet.upload.UploadUrlResponse;
import me.tongfei.progressbar.ProgressBar;

/**
 * The PUT of a file's bytes to its presigned URL: with a Content-Length (S3 takes no chunked body on a presigned
 * URL), with exactly the headers the URL was signed for, and again from the first byte after a failure that
 * {@link Retries} calls passing. The URL is never shown whole: its query is the signature.
 */
final class PresignedPut {

    /** Values for the headers an upload URL may be signed for; the client sets host and Content-Length itself. */
    private static final Map<String, String> SIGNABLE = Map.of("content-type", "application/jsonl", "content-encoding",
            "gzip");

    private final HttpClient http;
    private final Retries retries;
    private final ProgressBars bars;
    private final Duration stallTimeout;

    PresignedPut(HttpClient http, Retries retries, ProgressBars bars, Duration stallTimeout) {
        this.http = http;
        this.retries = retries;
        this.bars = bars;
        this.stallTimeout = stallTimeout;
    }

    void put(String uploadUrl, UploadBody body) throws Refused, IOException, InterruptedException {
        if (uploadUrl == null || !(uploadUrl.startsWith("http://") || uploadUrl.startsWith("https://"))) {
            throw new Refused("PUT", 0, "the service answered no http(s) upload URL");
        }
        Map<String, String> headers;
        try {
            headers = signedHeaders(uploadUrl);
        } catch (IllegalArgumentException notAUri) {
            throw new Refused("PUT", 0, "the service's upload URL is not a valid URL");
        }
        HttpResponse<String> answer = retries.send("PUT", () -> attempt(uploadUrl, headers, body));
        if (answer.statusCode() / 100 != 2) {
            throw new Refused("PUT to " + UploadUrlResponse.withoutSignature(uploadUrl), answer.statusCode(),
                    S3Error.code(answer).orElse("") + S3Error.message(answer).map(m -> ": " + m).orElse(""));
        }
    }

    private HttpResponse<String> attempt(String uploadUrl, Map<String, String> headers, UploadBody body)
            throws IOException, InterruptedException {
        List<InputStream> opened = new CopyOnWriteArrayList<>();
        AtomicLong sent = new AtomicLong();
        ProgressBar bar = bars.start("upload", body.length());
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uploadUrl))
                    .PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
                        try {
                            InputStream in = body.open(count -> {
                                sent.set(count);
                                bar.stepTo(count);
                            });
                            opened.add(in);
                            return in;
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }), body.length()));
            headers.forEach(request::header);
            HttpResponse<String> answer = whileProgressing(http.sendAsync(request.build(),
                    HttpResponse.BodyHandlers.ofString()), sent);
            if (answer.statusCode() / 100 != 2) {
                bar.setExtraMessage("  HTTP " + answer.statusCode());
            }
            return answer;
        } catch (IOException e) {
            bar.setExtraMessage("  failed");
            // the local file's own failure, if it was that, rather than the client's wrapping of it
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof LocalFileException local) {
                    throw local;
                }
            }
            throw e;
        } finally {
            bar.close();
            for (InputStream in : opened) {
                in.close();
            }
        }
    }

    /**
     * The answer, unless nothing was sent and nothing answered for the stall timeout: then the request is cut off
     * (a connection that went silent would otherwise hold the upload for ever) and counts as a failure on the way.
     */
    private HttpResponse<String> whileProgressing(CompletableFuture<HttpResponse<String>> answer, AtomicLong sent)
            throws IOException, InterruptedException {
        long look = Math.max(10, Math.min(1000, stallTimeout.toMillis() / 4));
        long seen = -1;
        long since = System.nanoTime();
        while (true) {
            try {
                return answer.get(look, TimeUnit.MILLISECONDS);
            } catch (TimeoutException waiting) {
                long now = System.nanoTime();
                if (sent.get() != seen) {
                    seen = sent.get();
                    since = now;
                } else if (now - since > stallTimeout.toNanos()) {
                    answer.cancel(true);
                    throw new HttpTimeoutException("nothing sent or answered for " + stallTimeout);
                }
            } catch (ExecutionException failed) {
                if (failed.getCause() instanceof IOException io) {
                    throw io;
                }
                throw new IOException(failed.getCause());
            } catch (InterruptedException e) {
                answer.cancel(true);
                throw e;
            }
        }
    }

    /**
     * The headers to send besides host and Content-Length: those the URL's signature covers (SigV4's
     * X-Amz-SignedHeaders), with the values the upload was asked for. A URL signed for any other header cannot be
     * used by a client that does not know its value.
     */
    static Map<String, String> signedHeaders(String uploadUrl) throws Refused {
        Map<String, String> headers = new LinkedHashMap<>();
        String query = URI.create(uploadUrl).getRawQuery();
        if (query == null) {
            return headers;
        }
        for (String parameter : query.split("&")) {
            int equals = parameter.indexOf('=');
            if (equals < 0 || !parameter.substring(0, equals).equalsIgnoreCase("X-Amz-SignedHeaders")) {
                continue;
            }
            for (String name : URLDecoder.decode(parameter.substring(equals + 1), StandardCharsets.UTF_8).split(";")) {
                String lower = name.trim().toLowerCase(Locale.ROOT);
                if (lower.equals("host") || lower.equals("content-length") || lower.isEmpty()) {
                    continue;
                }
                String value = SIGNABLE.get(lower);
                if (value == null) {
                    throw new Refused("PUT to " + UploadUrlResponse.withoutSignature(uploadUrl), 0,
                            "the upload URL is signed for the header " + lower + ", whose value this client cannot know");
                }
                headers.put(lower, value);
            }
        }
        return headers;
    }
}

package io.inlet.sender;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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

    PresignedPut(HttpClient http, Retries retries, ProgressBars bars) {
        this.http = http;
        this.retries = retries;
        this.bars = bars;
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
        List<InputStream> opened = new ArrayList<>();
        ProgressBar bar = bars.start("upload", body.length());
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uploadUrl))
                    .PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
                        try {
                            InputStream in = body.open(bar::stepTo);
                            opened.add(in);
                            return in;
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }), body.length()));
            headers.forEach(request::header);
            HttpResponse<String> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
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

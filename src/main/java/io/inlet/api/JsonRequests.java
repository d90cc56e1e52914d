package io.inlet.api;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.inlet.Gunzip;
import io.inlet.Json;
import io.inlet.JsonNumbers;
import io.inlet.JsonParseErrors;
import io.inlet.UnicodeText;
import io.inlet.tenant.ApiKeyAuth;
import org.apache.camel.Exchange;

/**
 * Reads a JSON request body the same way for every endpoint: 415 unless it is JSON, gzip bodies inflated
 * with the size limit applied to the inflated bytes (413), and 400 naming the line and column where malformed
 * JSON breaks. Whether the body fits the endpoint's schema is the next step of each route (json-validator),
 * whose refusals {@link EnvelopeErrors} words.
 */
public final class JsonRequests {

    /** The exchange property that holds the request's JSON tree once {@link #read} has parsed it. */
    public static final String REQUEST = "inletRequest";
    /** The exchange property that holds the bytes that tree was parsed from. */
    private static final String REQUEST_BYTES = "inletRequestBytes";

    private final ObjectReader reader;
    private final long limit;
    private final ParsingBudget budget;

    public JsonRequests(ObjectMapper json, long limit, ParsingBudget budget) {
        this.reader = json.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        this.limit = limit;
        this.budget = budget;
    }

    /**
     * Route step: 415 / 413 as above; otherwise the body becomes the request's JSON bytes (inflated, at most the
     * limit), which the route charges to the tenant before {@link #parse} spends memory and time on them.
     */
    public void read(Exchange exchange) {
        exchange.getMessage().setBody(bytes(exchange));
    }

    /**
     * Route step after {@link #read}: 503 when the body's turn to be parsed does not come in time
     * ({@link ParsingBudget}), 400 for malformed JSON; otherwise the tree is kept in {@link #REQUEST} for the steps
     * after the route's json-validator, and the body stays the bytes. That component always parses its input itself:
     * given these bytes it reads them in place, where a tree would first be written out again as a copy.
     */
    public void parse(Exchange exchange) {
        byte[] body = exchange.getMessage().getBody(byte[].class);
        // the tree and its checks take many times the body's size: at most so many bytes of bodies at once
        budget.take(exchange, ApiKeyAuth.tenantOf(exchange), body.length);
        exchange.setProperty(REQUEST, parse(body));
        exchange.setProperty(REQUEST_BYTES, body);
    }

    /** The tree {@link #parse} parsed; by then the route's json-validator has checked it against the schema. */
    public static JsonNode request(Exchange exchange) {
        JsonNode request = exchange.getProperty(REQUEST, JsonNode.class);
        if (request == null) {
            throw new IllegalStateException("Route did not read the request body before using it");
        }
        return request;
    }

    /** The bytes {@link #request} was parsed from (inflated, if the body was sent gzipped). */
    public static byte[] requestBytes(Exchange exchange) {
        byte[] bytes = exchange.getProperty(REQUEST_BYTES, byte[].class);
        if (bytes == null) {
            throw new IllegalStateException("Route did not read the request body before using it");
        }
        return bytes;
    }

    /** The body's bytes after content-type and content-encoding checks, at most the limit of them. */
    public byte[] bytes(Exchange exchange) {
        String contentType = exchange.getMessage().getHeader(Exchange.CONTENT_TYPE, String.class);
        if (!isJson(contentType)) {
            throw ApiException.unsupportedMediaType("Content-Type must be application/json"
                    + (contentType == null ? " (none was sent)" : ", not " + contentType));
        }
        byte[] raw = exchange.getMessage().getBody(byte[].class);
        if (raw == null) {
            raw = new byte[0];
        }
        String encoding = exchange.getMessage().getHeader("Content-Encoding", String.class);
        byte[] body;
        if (encoding == null || encoding.isBlank() || encoding.equalsIgnoreCase("identity")) {
            body = raw;
        } else if (encoding.trim().equalsIgnoreCase("gzip")) {
            body = gunzip(raw);
        } else {
            throw ApiException.unsupportedMediaType("Content-Encoding " + encoding + " is not supported; send gzip or no encoding");
        }
        if (body.length > limit) {
            throw tooLarge();
        }
        return body;
    }

    private JsonNode parse(byte[] body) {
        if (body.length == 0) {
            throw ApiException.badRequest("The request body is empty; send a JSON object");
        }
        if (notUtf8(body)) {
            // Jackson would read UTF-16 and UTF-32 too, but JSON between systems is UTF-8 (RFC 8259), as the lake is
            throw ApiException.badRequest("The request body is not UTF-8 (it looks like UTF-16 or UTF-32); send JSON"
                    + " as UTF-8", ApiError.atField("", "is not UTF-8"));
        }
        UnicodeText.Flaw flaw = UnicodeText.firstFlaw(body, 0, body.length);
        if (flaw != null) {
            String where = where(body, flaw.offset());
            throw ApiException.badRequest("Malformed JSON" + where + ": " + flaw.what(), ApiError.inBody(
                    UnicodeText.pointerAt(reader.getFactory(), body, 0, body.length, flaw.offset()),
                    "is not valid Unicode" + where));
        }
        try {
            return reader.readTree(body);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : where(at.getLineNr(), at.getColumnNr());
            // names the record and its field (a duplicate field's name; a value nested too deep, in the record's terms)
            JsonParseErrors.Finding finding = JsonParseErrors.of(reader.getFactory(), body, 0, body.length, e, 3,
                    reader.getFactory().streamReadConstraints().getMaxNestingDepth() - Json.ENVELOPE_LEVELS, where);
            ApiError entry = ApiError.inBody(finding.pointer(), finding.message());
            // a limit of the parser (nesting, a number's digits) is no flaw of the JSON: said as the record's
            throw ApiException.badRequest(!finding.inRecordTerms() ? "Malformed JSON" + where + ": " + JsonParseErrors.said(e)
                    : "Unreadable JSON: " + (entry.index() == null ? "the body" : "record " + entry.index())
                            + (entry.pointer().isEmpty() ? "" : " at " + entry.pointer()) + " " + finding.message(), entry);
        } catch (IOException e) {
            throw ApiException.badRequest("Unreadable request body: " + e.getMessage());
        } catch (RuntimeException e) {
            if (!JsonNumbers.isOutOfRange(e)) {
                throw e;
            }
            JsonNumbers.OutOfRange number = JsonNumbers.find(reader.getFactory(), body, 0, body.length);
            throw ApiException.badRequest("Unreadable JSON: " + number.message(),
                    ApiError.inBody(number.pointer(), number.message()));
        }
    }

    /**
     * Whether the body begins as UTF-16 or UTF-32 text does: a byte-order mark of theirs, or a NUL among its first four
     * bytes (JSON text begins with an ASCII character, which those encodings pad with NULs).
     */
    static boolean notUtf8(byte[] body) {
        if (body.length >= 2 && ((body[0] == (byte) 0xFE && body[1] == (byte) 0xFF)
                || (body[0] == (byte) 0xFF && body[1] == (byte) 0xFE))) {
            return true;
        }
        for (int i = 0; i < Math.min(4, body.length); i++) {
            if (body[i] == 0) {
                return true;
            }
        }
        return false;
    }

    /** Where byte {@code offset} of the body is: its line, and its column in bytes, both from 1. */
    private static String where(byte[] body, int offset) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < offset; i++) {
            if (body[i] == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return where(line, offset - lineStart + 1);
    }

    private static String where(int line, int column) {
        return " at line " + line + ", column " + column;
    }

    private byte[] gunzip(byte[] compressed) {
        try (InputStream in = new Gunzip(new ByteArrayInputStream(compressed))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(limit + 1, compressed.length * 4L + 64));
            byte[] buffer = new byte[16384];
            long total = 0;
            int n;
            while ((n = in.read(buffer)) > 0) {
                total += n;
                if (total > limit) {
                    // Stop inflating: the limit holds for the decompressed body, whatever its compressed size.
                    throw tooLarge();
                }
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        } catch (Gunzip.Truncated e) {
            throw ApiException.badRequest("The gzip body is truncated: " + e.getMessage());
        } catch (IOException e) {
            // Gunzip.Corrupt: a byte array has no read failures of its own
            throw ApiException.badRequest("The body says Content-Encoding: gzip but is not valid gzip: " + e.getMessage());
        }
    }

    private ApiException tooLarge() {
        return ApiException.tooLarge("The request body is larger than " + Sizes.describe(limit)
                + "; split the batch or use the presigned upload for large files");
    }

    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String mime = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return mime.equals("application/json") || (mime.startsWith("application/") && mime.endsWith("+json"));
    }
}

package io.inlet.upload;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Json;
import io.inlet.api.ApiError;
import io.inlet.api.ApiException;
import io.inlet.api.JsonResponses;
import io.inlet.api.JsonRequests;
import io.inlet.metrics.IngestMeters;
import io.inlet.ops.LogContext;
import io.inlet.pipeline.PartsAllowance;
import io.inlet.schema.FieldError;
import io.inlet.schema.RecordValidator;
import io.inlet.schema.Stream;
import io.inlet.storage.FileKey;
import io.inlet.tenant.ApiKeyAuth;
import org.apache.camel.Exchange;
import org.apache.camel.component.aws2.s3.AWS2S3Constants;

/**
 * POST /ingestion/upload-json, step by step (see routes/upload-json.camel.yaml): once the envelope is read and
 * fits its schema, validate every record, then hand the batch as JSONL to the inbox bucket under a new file key.
 */
public final class UploadJson {

    private static final String FILE_BYTES = "inletFileBytes";
    /** Exchange property: the records of the batch prepared for the inbox. */
    static final String RECORDS = "inletBatchRecords";

    /** How request bodies are read ({@link Json#requestMapper}): records are found in them a second time. */
    private final JsonFactory requestJson;
    private final RecordValidator validator;
    private final Clock clock;
    private final IngestMeters meters;
    private final PartsAllowance daysPerBatch;
    /** The pipeline's bound on one line (inlet.pipeline.max-line-bytes). */
    private final long maxLineBytes;

    /**
     * @param daysPerBatch how many days (lake part files) a batch's records may fall on, by how many records it has:
     *                     the pipeline's allowance for a file, also bounded by the parts a batch keeps open at once,
     *                     so that the pipeline never has to refuse a record of a batch it acknowledged
     * @param maxLineBytes the pipeline's bound on one line, which each record must also keep as it is stored
     */
    public UploadJson(ObjectMapper requestJson, RecordValidator validator, Clock clock, IngestMeters meters,
            PartsAllowance daysPerBatch, long maxLineBytes) {
        this.maxLineBytes = maxLineBytes;
        this.meters = meters;
        this.daysPerBatch = daysPerBatch;
        this.requestJson = requestJson.getFactory();
        this.validator = validator;
        this.clock = clock;
    }

    /**
     * 422 naming each invalid record's fields, or the batch as JSONL in the body, ready for the inbox, with a new key
     * in the S3 headers (the key it is stored under unless it shares an inbox object, see {@link SharedInboxWrites}).
     */
    public void prepareBatch(Exchange exchange) {
        String tenant = ApiKeyAuth.tenantOf(exchange);
        CheckedBatch batch = checkRecords(exchange);
        Stream stream = batch.stream();
        JsonNode data = batch.records();

        FileKey key = FileKey.create(stream, FileKey.SOURCE_API, tenant, clock.instant(), false);
        byte[] jsonl = batch.jsonl();
        LogContext.file(exchange, key);
        exchange.setProperty(FILE_BYTES, (long) jsonl.length);
        exchange.setProperty(RECORDS, (long) data.size());
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(AWS2S3Constants.KEY, key.key());
        exchange.getMessage().setHeader(AWS2S3Constants.CONTENT_LENGTH, (long) jsonl.length);
        exchange.getMessage().setHeader(AWS2S3Constants.CONTENT_TYPE, "application/jsonl");
        exchange.getMessage().setBody(jsonl);
    }

    /** A batch whose every record fits the schema of its stream, and the JSONL it is stored as. */
    public record CheckedBatch(Stream stream, JsonNode records, byte[] jsonl) {
    }

    /**
     * The request's records checked against their stream's schema (the envelope already fits its own): all valid,
     * or a 422 naming each invalid record's fields, the first {@value ApiException#MAX_LISTED_ERRORS} problems listed. The
     * dry run ({@link UploadJsonDryRun}) answers with exactly this.
     */
    public CheckedBatch checkRecords(Exchange exchange) {
        JsonNode request = JsonRequests.request(exchange);
        Stream stream = Stream.fromWireName(request.get("stream").asText()).orElseThrow();
        JsonNode data = request.get("data");

        List<ApiError> errors = new ArrayList<>();
        int invalidRecords = 0;
        int totalProblems = 0;
        for (int i = 0; i < data.size(); i++) {
            List<FieldError> problems = validator.validate(stream, data.get(i));
            if (!problems.isEmpty()) {
                invalidRecords++;
                totalProblems += problems.size();
                for (FieldError p : problems) {
                    if (errors.size() < ApiException.MAX_LISTED_ERRORS) {
                        errors.add(ApiError.atRecord(i, p.pointer(), p.message()));
                    }
                }
            }
        }
        if (invalidRecords > 0) {
            throw ApiException.unprocessable(invalidRecords + " of " + data.size() + " records do not match the "
                    + stream + " schema; nothing was stored" + ApiException.notAllListed(errors.size(), totalProblems), errors);
        }
        checkDays(stream, data);
        return new CheckedBatch(stream, data, storedLines(JsonRequests.requestBytes(exchange), data));
    }

    /**
     * The records as the JSONL lines they are stored as: each record's own bytes from the request, without the
     * whitespace between its tokens (a line break there would split it), so its numbers, escapes and field order
     * reach the lake exactly as sent, as a file's lines do. A 422 names a record whose line would be longer than the
     * pipeline takes (only when {@code inlet.pipeline.max-line-bytes} is below the body limit).
     */
    private byte[] storedLines(byte[] body, JsonNode data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length);
        List<ApiError> errors = new ArrayList<>();
        int tooLong = 0;
        int index = 0;
        try (JsonParser parser = requestJson.createParser(body)) {
            parser.nextToken(); // the envelope's {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                boolean records = parser.currentName().equals("data");
                parser.nextToken();
                if (!records) {
                    parser.skipChildren();
                    continue;
                }
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    long start = parser.currentTokenLocation().getByteOffset();
                    parser.skipChildren();
                    long end = parser.currentLocation().getByteOffset();
                    if (start < 0 || end < start) {
                        // only a body read as bytes (UTF-8, as JsonRequests requires) has byte offsets
                        throw new IllegalStateException("No byte offsets for record " + index + " of the request body");
                    }
                    int lineStart = out.size();
                    JsonLines.writeCompact(body, (int) start, (int) end, out);
                    int length = out.size() - lineStart;
                    if (length > maxLineBytes) {
                        tooLong++;
                        if (errors.size() < ApiException.MAX_LISTED_ERRORS) {
                            errors.add(ApiError.atRecord(index, "", "is " + length + " bytes as one JSONL line, over"
                                    + " the limit of " + maxLineBytes + " bytes for one record"));
                        }
                    }
                    out.write('\n');
                    index++;
                }
            }
        } catch (IOException e) {
            // the same bytes parsed into the tree a moment ago
            throw new UncheckedIOException(e);
        }
        if (index != data.size()) {
            throw new IllegalStateException("Found " + index + " records in the body, not " + data.size());
        }
        if (tooLong > 0) {
            throw ApiException.unprocessable(tooLong + " of " + data.size() + " records are longer than one line may"
                    + " be; nothing was stored" + ApiException.notAllListed(errors.size(), tooLong), errors);
        }
        return out.toByteArray();
    }

    /**
     * A 422 naming every record on a day past the first ones the batch may cover (each day is a lake part file): the
     * records of a batch cannot be refused one by one once it is acknowledged, so the rule is applied here, whole.
     */
    private void checkDays(Stream stream, JsonNode data) {
        long allowed = daysPerBatch.allowed(data.size());
        if (stream.eventTimeField() == null || data.size() <= allowed) {
            return;
        }
        Set<Integer> days = new HashSet<>();
        List<ApiError> errors = new ArrayList<>();
        int over = 0;
        for (int i = 0; i < data.size(); i++) {
            Integer day = stream.lakeDay(data.get(i), 0);
            if (days.contains(day)) {
                continue;
            }
            if (days.size() < allowed) {
                days.add(day);
                continue;
            }
            over++;
            if (errors.size() < ApiException.MAX_LISTED_ERRORS) {
                errors.add(ApiError.atRecord(i, "/" + stream.eventTimeField(), "falls on a day past the first "
                        + allowed + " days of this batch, the most a batch of " + data.size() + " records may cover"
                        + " (" + daysPerBatch.inWords() + "; records of one day go to one lake file); send records of"
                        + " other days in another batch"));
            }
        }
        if (over > 0) {
            throw ApiException.unprocessable(over + " of " + data.size() + " records fall on days past the " + allowed
                    + " a batch of " + data.size() + " records may cover; nothing was stored"
                    + ApiException.notAllListed(errors.size(), over), errors);
        }
    }

    /** The reference's success body; only reached once the inbox write returned (and announced the file). */
    public Map<String, Object> success(Exchange exchange) {
        String fileKey = exchange.getProperty(LogContext.FILE_KEY, String.class);
        long bytes = exchange.getProperty(FILE_BYTES, Long.class);
        meters.received(FileKey.parse(fileKey).orElseThrow(), bytes, IngestMeters.VIA_UPLOAD_JSON);
        return JsonResponses.ok(exchange, successBody(fileKey));
    }

    /** What upload-json answers once the batch is stored under this key (and what a replay of it answers). */
    public static Map<String, Object> successBody(String fileKey) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "success");
        body.put("message", "Data uploaded successfully");
        body.put("file_key", fileKey);
        return body;
    }
}

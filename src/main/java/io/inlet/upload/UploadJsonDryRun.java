package io.inlet.upload;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.inlet.api.JsonResponses;
import org.apache.camel.Exchange;

/**
 * POST /ingestion/validate (routes/validate.camel.yaml): an upload-json body checked exactly as upload-json checks
 * it, by the same steps and the same {@link UploadJson#checkRecords}, so every refusal is the one upload-json would
 * give; nothing is stored, announced or counted as received.
 */
public final class UploadJsonDryRun {

    private final UploadJson uploadJson;

    public UploadJsonDryRun(UploadJson uploadJson) {
        this.uploadJson = uploadJson;
    }

    /**
     * The 422 of upload-json for invalid records; otherwise what the file would come to, in the words of its status
     * document. upload-json stores a batch whole or not at all, so a batch that passes has nothing rejected.
     */
    public Map<String, Object> answer(Exchange exchange) {
        UploadJson.CheckedBatch batch = uploadJson.checkRecords(exchange);
        int records = batch.records().size();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "success");
        body.put("message", "Dry run: " + (records == 1 ? "the record matches" : "all " + records + " records match")
                + " the " + batch.stream() + " schema, so upload-json would store " + (records == 1 ? "it" : "them")
                + "; nothing was stored");
        body.put("dry_run", true);
        body.put("stream", batch.stream().wireName());
        body.put("records_accepted", records);
        body.put("records_rejected", 0);
        body.put("first_rejections", List.of());
        return JsonResponses.ok(exchange, body);
    }
}

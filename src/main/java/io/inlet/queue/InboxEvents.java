package io.inlet.queue;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.inlet.JsonNumbers;

/**
 * The queue's message format: S3 Event Notifications, as the inbox bucket's notification configuration sends
 * them to SQS (also wrapped in an SNS envelope), and the same format for the messages Inlet sends itself, so
 * one reader serves both. Keys arrive URL-encoded ({@code +} for a space), as S3 writes them. Anything that is
 * not an object created in the inbox bucket (the {@code s3:TestEvent} S3 sends when notifications are set up,
 * removals, other buckets) announces nothing.
 */
public final class InboxEvents {

    private final ObjectMapper json;
    private final String inboxBucket;

    public InboxEvents(ObjectMapper json, String inboxBucket) {
        this.json = json;
        this.inboxBucket = inboxBucket;
    }

    /** The inbox files a message announces; empty for test events, other buckets and bodies that are not events. */
    public List<InboxFile> read(String body) {
        List<InboxFile> files = new ArrayList<>();
        JsonNode event;
        try {
            event = json.readTree(body);
            if (event != null && event.path("Type").asText().equals("Notification") && event.path("Message").isTextual()) {
                event = json.readTree(event.get("Message").asText());
            }
        } catch (JsonProcessingException e) {
            return files;
        } catch (RuntimeException e) {
            if (JsonNumbers.isOutOfRange(e)) {
                return files; // a number no decimal holds: not an event either
            }
            throw e;
        }
        if (event == null) {
            return files;
        }
        for (JsonNode record : event.path("Records")) {
            JsonNode s3 = record.path("s3");
            String bucket = s3.path("bucket").path("name").asText("");
            String key = s3.path("object").path("key").asText("");
            if (!record.path("eventName").asText("").startsWith("ObjectCreated") || !bucket.equals(inboxBucket)
                    || key.isEmpty()) {
                continue;
            }
            String decoded;
            try {
                decoded = URLDecoder.decode(key, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException badEscape) {
                continue; // no key S3 sends (it encodes every key it names); the reconciliation finds real files
            }
            files.add(new InboxFile(decoded, s3.path("object").path("size").asLong(-1),
                    record.path("inlet").path("status_document").asText("").equals("none")));
        }
        return files;
    }

    /** The message Inlet sends for an object it put into the inbox itself: one S3 event record. */
    public String announce(InboxFile file) {
        ObjectNode message = json.createObjectNode();
        ArrayNode records = message.putArray("Records");
        ObjectNode record = records.addObject();
        record.put("eventVersion", "2.1");
        record.put("eventSource", "inlet");
        record.put("eventName", "ObjectCreated:Put");
        ObjectNode s3 = record.putObject("s3");
        s3.putObject("bucket").put("name", inboxBucket);
        s3.putObject("object").put("key", URLEncoder.encode(file.key(), StandardCharsets.UTF_8)).put("size", file.size());
        if (file.withoutStatus()) {
            // Inlet's own addition to the S3 record: there is no status document to look up yet.
            record.putObject("inlet").put("status_document", "none");
        }
        return message.toString();
    }
}

package io.inlet.schema;

import java.time.LocalDate;
import java.util.Arrays;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The four kinds of records. Events are partitioned in the lake by the date of the event, contacts and
 * accounts (attribute updates) by the date they were received.
 */
public enum Stream {
    ACCOUNT("account", null),
    CONTACT("contact", null),
    ACCOUNT_EVENT("account_event", "event_timestamp"),
    CONTACT_EVENT("contact_event", "event_timestamp");

    private final String wireName;
    private final String eventTimeField;

    Stream(String wireName, String eventTimeField) {
        this.wireName = wireName;
        this.eventTimeField = eventTimeField;
    }

    /** The name used in requests, file keys and lake paths. */
    public String wireName() {
        return wireName;
    }

    /** The record field whose date partitions the lake, or null when the ingestion date does. */
    public String eventTimeField() {
        return eventTimeField;
    }

    /**
     * The day (since the epoch) of the lake partition a valid record of this stream goes to: its event's date in UTC,
     * or {@code receivedEpochDay} for contacts and accounts.
     */
    public int lakeDay(JsonNode validRecord, int receivedEpochDay) {
        if (eventTimeField == null) {
            return receivedEpochDay;
        }
        LocalDate utc = Rfc3339.utcDate(validRecord.get(eventTimeField).asText());
        // a valid record's timestamp always has a date (the schema's date-time is Rfc3339)
        return utc == null ? receivedEpochDay : (int) utc.toEpochDay();
    }

    public String schemaResource() {
        return "schemas/" + wireName + ".schema.json";
    }

    public static Optional<Stream> fromWireName(String name) {
        return Arrays.stream(values()).filter(s -> s.wireName.equals(name)).findFirst();
    }

    public static String wireNames() {
        return String.join(", ", Arrays.stream(values()).map(Stream::wireName).toList());
    }

    @Override
    public String toString() {
        return wireName;
    }
}

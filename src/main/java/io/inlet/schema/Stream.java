package io.inlet.schema;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Locale;
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
        String timestamp = validRecord.get(eventTimeField).asText();
        try {
            return (int) OffsetDateTime.parse(timestamp).withOffsetSameInstant(ZoneOffset.UTC).toLocalDate().toEpochDay();
        } catch (DateTimeParseException e) {
            return utcDayOfRfc3339(timestamp);
        }
    }

    /**
     * The UTC day of valid RFC 3339 that {@link OffsetDateTime#parse} does not take as it is: a space between date and
     * time, a leap second. Taken as the same instant, so a record lands on the same day however its timestamp is spelt.
     */
    private static int utcDayOfRfc3339(String timestamp) {
        StringBuilder spelt = new StringBuilder(timestamp.toUpperCase(Locale.ROOT));
        if (spelt.length() > 10) {
            spelt.setCharAt(10, 'T');
        }
        if (spelt.length() > 18 && spelt.charAt(16) == ':' && spelt.charAt(17) == '6' && spelt.charAt(18) == '0') {
            // 23:59:60 is the last second of its minute; a second earlier is on the same day
            spelt.setCharAt(17, '5');
            spelt.setCharAt(18, '9');
        }
        try {
            return (int) OffsetDateTime.parse(spelt).withOffsetSameInstant(ZoneOffset.UTC).toLocalDate().toEpochDay();
        } catch (DateTimeParseException stillNot) {
            // whatever else the schema's check lets through: its own calendar date
            return (int) LocalDate.parse(timestamp.substring(0, 10)).toEpochDay();
        }
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

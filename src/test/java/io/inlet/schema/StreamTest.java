package io.inlet.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The lake day of a record: one instant lands on one UTC day however its valid timestamp is spelt. */
class StreamTest {

    private static final int RECEIVED = (int) LocalDate.of(2030, 1, 1).toEpochDay();

    @ParameterizedTest
    @ValueSource(strings = {"2025-06-28T00:30:00+02:00", "2025-06-28 00:30:00+02:00", "2025-06-28t00:30:00+02:00",
            "2025-06-27T22:30:00Z", "2025-06-27T22:30:00z", "2025-06-27 22:30:00.123456789Z", "2025-06-27T23:59:60Z",
            "2025-06-28T01:59:60+02:00", "2025-06-27T22:30:00-00:00", "2025-06-26T22:31:00-23:59",
            "2025-06-27T22:30:00.1234567890Z"})
    void anEventLandsOnTheUtcDayOfItsInstant(String timestamp) {
        assertThat(LocalDate.ofEpochDay(Stream.CONTACT_EVENT.lakeDay(event(timestamp), RECEIVED)))
                .isEqualTo(LocalDate.of(2025, 6, 27));
    }

    @Test
    void contactsAndAccountsLandOnTheDayTheyWereReceived() {
        assertThat(Stream.CONTACT.lakeDay(JsonNodeFactory.instance.objectNode(), RECEIVED)).isEqualTo(RECEIVED);
        assertThat(Stream.ACCOUNT.lakeDay(JsonNodeFactory.instance.objectNode(), RECEIVED)).isEqualTo(RECEIVED);
    }

    private static ObjectNode event(String timestamp) {
        return JsonNodeFactory.instance.objectNode().put("event_timestamp", timestamp);
    }
}

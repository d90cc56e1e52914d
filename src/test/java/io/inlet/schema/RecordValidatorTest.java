package io.inlet.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.inlet.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RecordValidatorTest {

    final RecordValidator validator = new RecordValidator();
    final ObjectMapper json = Json.mapper();

    @ParameterizedTest
    @CsvSource({"jane@acme.com,true", "j.doe+tag@mail.acme.co.uk,true", "x,false", "jane@acme,false", "a b@acme.com,false",
            "jane@@acme.com,false", "jane@acme..com,false", "jane@acme.com.,false", "jane@.acme.com,false",
            "jane@acme.c,true"})
    void emails(String email, boolean valid) {
        ObjectNode contact = json.createObjectNode().put("contact_id", "c").put("email", email);
        contact.putObject("contact_properties");
        assertThat(validator.validate(Stream.CONTACT, contact).isEmpty()).isEqualTo(valid);
    }

    /**
     * Patterns are read as JSON Schema means them (ECMA-262): with the JDK's engine "$" matched before a final line
     * break and \s missed Unicode spaces, so these passed and reached the lake, where they spoil a join on the email
     * or domain.
     */
    @ParameterizedTest
    @ValueSource(strings = {"\n", "\r\n", "\r", "\u2028", "\u2029", "\u00a0", "\u3000", "\ufeff", "\u2009", " "})
    void aLineBreakOrSpaceAtTheEndIsNoEmailOrDomain(String end) {
        ObjectNode contact = json.createObjectNode().put("contact_id", "c").put("email", "jane@acme.com" + end);
        contact.putObject("contact_properties");
        ObjectNode account = json.createObjectNode().put("account_id", "a").put("domain", "acme.com" + end);
        account.putObject("account_properties");

        assertThat(validator.validate(Stream.CONTACT, contact)).extracting(FieldError::pointer).containsExactly("/email");
        assertThat(validator.validate(Stream.ACCOUNT, account)).extracting(FieldError::pointer).containsExactly("/domain");
    }

    /** ECMA-262's \s, not the JDK's: U+FEFF is a space there (refused above), U+0085 is not (taken). */
    @Test
    void patternsTakeEcmasSpacesNotTheJdks() {
        assertThat(SchemaPatterns.ecma("^[^\\s@]+@x$")).isEqualTo("^[^" + SchemaPatterns.ECMA_SPACES + "@]+@x\\z");
        assertThat(SchemaPatterns.ecma("a\\sb\\\\s$")).isEqualTo("a[" + SchemaPatterns.ECMA_SPACES + "]b\\\\s\\z");
        assertThat(SchemaPatterns.ecma("[$]\\$")).isEqualTo("[$]\\$");
        ObjectNode contact = json.createObjectNode().put("contact_id", "c").put("email", "jane@acme.com\u0085");
        contact.putObject("contact_properties");
        assertThat(validator.validate(Stream.CONTACT, contact)).isEmpty();
    }

    /** An event's time is the whole field, and names a lake day of four digits. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"2025-06-27T07:26:00Z|true", "2025-06-27T09:26:00.123+02:00|true",
            "2025-06-27 07:26:00z|true", "2016-12-31T23:59:60Z|true", "0000-01-01T00:00:00Z|true",
            "9999-12-31T23:59:59Z|true", "2025-06-27T07:26:00Zabc|false", "2025-06-27T07:26:00ZZ|false",
            "'2025-06-27T07:26:00Z '|false", "2025-06-27T07:26:00+02:00 x|false", "0000-01-01T00:00:00+01:00|false",
            "9999-12-31T23:59:59-18:00|false", "2025-02-30T07:26:00Z|false", "2025-06-27T07:26Z|false",
            "2025-06-27|false",
            // RFC 3339's whole range: offsets to ±23:59, -00:00 (UTC, local offset unknown), any number of fraction digits
            "2025-06-27T07:26:00-00:00|true", "2025-06-27T07:26:00-23:59|true", "2025-06-27T07:26:00+23:59|true",
            "2025-06-27T07:26:00.1234567890123Z|true", "2025-06-27T07:26:00+24:00|false",
            "2025-06-27T07:26:00+05:60|false", "2016-12-31T18:59:60-05:00|true", "2016-12-31T23:59:60+01:00|false"})
    void eventTimestamps(String timestamp, boolean valid) {
        ObjectNode event = json.createObjectNode().put("event_id", "e").put("contact_id", "c").put("event", "view")
                .put("event_timestamp", timestamp);
        event.putObject("event_properties");
        List<FieldError> errors = validator.validate(Stream.CONTACT_EVENT, event);
        assertThat(errors.isEmpty()).as(timestamp + ": " + errors).isEqualTo(valid);
        ObjectNode withLineBreak = json.createObjectNode().put("event_id", "e").put("contact_id", "c").put("event", "v")
                .put("event_timestamp", timestamp + "\n");
        withLineBreak.putObject("event_properties");
        assertThat(validator.validate(Stream.CONTACT_EVENT, withLineBreak)).extracting(FieldError::pointer)
                .containsExactly("/event_timestamp");
    }

    /**
     * However many unknown fields a record has, and however long their names, what is said about it is bounded: the
     * first 100 named, how many there were, each pointer cut to its bound (a line of 90,000 unknown fields held
     * hundreds of megabytes of findings; a 50,000-character name made a 100 KB pointer in every status).
     */
    /** A long value is quoted cut short, never through the middle of a character (half an emoji is no text). */
    @Test
    void aLongValueIsQuotedWholeCharactersOnly() {
        ObjectNode contact = json.createObjectNode().put("contact_id", "c")
                .put("email", "a".repeat(75) + "\uD83D\uDE00bbbbb");
        contact.putObject("contact_properties");

        String message = validator.validate(Stream.CONTACT, contact).get(0).message();

        assertThat(message).endsWith(", not \"" + "a".repeat(75) + "...");
        assertThat(message.chars().filter(c -> Character.isSurrogate((char) c))).isEmpty();
    }

    @Test
    void aRecordOfManyUnknownOrLongNamedFieldsGetsABoundedAnswer() {
        ObjectNode event = json.createObjectNode().put("event_id", "e").put("contact_id", "c").put("event", "view")
                .put("event_timestamp", "2025-06-01T12:00:00Z");
        event.putObject("event_properties");
        for (int i = 0; i < 90_000; i++) {
            event.put(String.format("p%05d", i), 0);
        }
        event.put("/".repeat(50_000), 1);

        List<FieldError> errors = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> validator.validate(Stream.CONTACT_EVENT, event));

        assertThat(errors).hasSize(1 + JsonSchemas.MOST_UNKNOWN_FIELDS);
        assertThat(errors.get(0)).isEqualTo(new FieldError("", "has 90001 fields that are not fields of this record;"
                + " the first 100 are named; free-form attributes belong in event_properties"));
        assertThat(errors.subList(1, errors.size())).extracting(FieldError::pointer)
                .allSatisfy(pointer -> assertThat(pointer).matches("/p\\d{5}"));

        ObjectNode longName = event.deepCopy().retain("event_id", "contact_id", "event", "event_timestamp",
                "event_properties");
        longName.put("/".repeat(50_000), 1);
        List<FieldError> one = validator.validate(Stream.CONTACT_EVENT, longName);
        assertThat(one).singleElement().satisfies(error -> {
            assertThat(error.pointer()).hasSize(FieldError.MAX_POINTER_CHARS).startsWith("/~1~1").endsWith("\u2026");
            assertThat(error.message()).startsWith("is not a field of this record");
        });
    }

    @ParameterizedTest
    @CsvSource({"acme.com,true", "sub.acme.co.uk,true", "https://acme.com,false", "acme,false", "acme.com/about,false", "acme..com,false",
            "acme.com.,false", ".acme.com,false"})
    void domains(String domain, boolean valid) {
        ObjectNode account = json.createObjectNode().put("account_id", "a").put("domain", domain);
        account.putObject("account_properties");
        assertThat(validator.validate(Stream.ACCOUNT, account).isEmpty()).isEqualTo(valid);
    }

    /**
     * A pattern that backtracks needs minutes for such a field and stalls the validation threads every tenant
     * shares (quadratic: about 5 minutes at this size). Not a speed goal: a guard against a hang.
     */
    @Test
    void hostileFieldsDoNotHangTheValidator() {
        String dots = ".".repeat(512 * 1024);
        ObjectNode contact = json.createObjectNode().put("contact_id", "c").put("email", "a@" + dots + " ");
        contact.putObject("contact_properties");
        ObjectNode account = json.createObjectNode().put("account_id", "a").put("domain", "a" + dots + " ");
        account.putObject("account_properties");

        List<FieldError> contactErrors = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> validator.validate(Stream.CONTACT, contact));
        List<FieldError> accountErrors = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> validator.validate(Stream.ACCOUNT, account));

        assertThat(contactErrors).extracting(FieldError::pointer).contains("/email");
        assertThat(accountErrors).extracting(FieldError::pointer).contains("/domain");
    }

    /**
     * A pattern with a repeated group ({@code (\.[^.]+)+}) is matched by recursion, one frame per repetition: a few
     * KB of labels overflowed the stack, which failed the request (500) or the whole batch instead of the record.
     */
    @Test
    void manyLabelsDoNotOverflowTheStack() {
        String labels = ".b".repeat(200_000);
        ObjectNode contact = json.createObjectNode().put("contact_id", "c").put("email", "a@b" + labels);
        contact.putObject("contact_properties");
        ObjectNode account = json.createObjectNode().put("account_id", "a").put("domain", "b" + labels);
        account.putObject("account_properties");

        assertThat(validator.validate(Stream.CONTACT, contact)).extracting(FieldError::pointer).isNotEmpty().containsOnly("/email");
        assertThat(validator.validate(Stream.ACCOUNT, account)).extracting(FieldError::pointer).isNotEmpty().containsOnly("/domain");
    }
}

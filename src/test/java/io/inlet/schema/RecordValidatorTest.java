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
     * However many unknown fields a record has, and however long their names, what is said about it is bounded: the
     * first 100 named, how many there were, each pointer cut to its bound (a line of 90,000 unknown fields held
     * hundreds of megabytes of findings; a 50,000-character name made a 100 KB pointer in every status).
     */
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

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

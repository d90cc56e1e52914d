package io.inlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What a sender reads about JSON that does not parse: the parser's words, without the parser's own class names. */
class JsonParseErrorsTest {

    private static final ObjectReader READER = Json.mapper().readerFor(JsonNode.class)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"a\":1|Unexpected end-of-input: expected close marker for Object (start marker at line 1, column 1)",
        "{\"a\":1} {\"b\":2}|Trailing token (of type START_OBJECT) found after value",
        "{\"a\":NaN}|Non-standard token 'NaN'",
        "{\"a\":1,\"a\":2}|Duplicate field 'a'"})
    void theParsersWordsWithoutItsInternals(String json, String said) {
        JsonProcessingException e = catchThrowableOfType(JsonProcessingException.class,
                () -> READER.readTree(json.getBytes(StandardCharsets.UTF_8)));

        assertThat(JsonParseErrors.said(e)).isEqualTo(said);
    }
}

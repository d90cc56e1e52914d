package io.inlet;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Numbers that are valid JSON but that no reader can hold. Records are read with every decimal kept exactly
 * ({@link Json}), and a decimal's exponent must fit in an int: {@code 1e2147483648} is grammatical JSON, yet reading
 * it fails with a {@link NumberFormatException}, which is not a parse error. Such a record is refused like a
 * malformed one, naming the field.
 */
public final class JsonNumbers {

    /** The first number that cannot be read: where it is (a JSON pointer) and its text, cut short. */
    public record OutOfRange(String pointer, String text) {
        public String message() {
            return "the number " + text + " is out of range (its exponent must be within ±2147483647)";
        }
    }

    private static final int SHOWN = 40;

    private JsonNumbers() {
    }

    /**
     * Whether reading a JSON text failed because of a number: {@code failure} is what the read threw. Jackson
     * reports it as a {@link NumberFormatException} (or, from BigDecimal arithmetic, an {@link ArithmeticException}).
     */
    public static boolean isOutOfRange(RuntimeException failure) {
        return failure instanceof NumberFormatException || failure instanceof ArithmeticException;
    }

    /** The first number of the text that cannot be read, found token by token; a generic answer if none shows. */
    public static OutOfRange find(JsonFactory json, byte[] bytes, int start, int length) {
        try (JsonParser parser = json.createParser(bytes, start, length)) {
            for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
                if (token == JsonToken.VALUE_NUMBER_FLOAT || token == JsonToken.VALUE_NUMBER_INT) {
                    try {
                        parser.getDecimalValue();
                    } catch (NumberFormatException | ArithmeticException unreadable) {
                        String text = parser.getText();
                        return new OutOfRange(parser.getParsingContext().pathAsPointer().toString(),
                                text.length() > SHOWN ? text.substring(0, SHOWN) + "…" : text);
                    }
                }
            }
        } catch (IOException | RuntimeException brokenElsewhere) {
            // nothing better to say than the generic answer
        }
        return new OutOfRange("", "in it");
    }
}

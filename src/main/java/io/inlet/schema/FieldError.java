package io.inlet.schema;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What is wrong with one field of one record: a JSON pointer into the record and a sentence. Both are cut to a
 * bounded length (a field's name may be 50,000 characters, and every error is kept in statuses, rejected-records
 * files and answers): a longer one ends in "…".
 */
public record FieldError(@JsonProperty("pointer") String pointer, @JsonProperty("message") String message) {

    /** The most characters of a pointer kept. */
    public static final int MAX_POINTER_CHARS = 256;
    /** The most characters of a message kept. */
    public static final int MAX_MESSAGE_CHARS = 512;

    public FieldError {
        pointer = cut(pointer, MAX_POINTER_CHARS, "\u2026");
        message = cut(message, MAX_MESSAGE_CHARS, "\u2026");
    }

    /** The text, or its start and {@code mark} when longer than {@code most} chars in all; never half a character. */
    static String cut(String text, int most, String mark) {
        if (text == null || text.length() <= most) {
            return text;
        }
        int end = most - mark.length();
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--; // not half a character
        }
        return text.substring(0, end) + mark;
    }
}

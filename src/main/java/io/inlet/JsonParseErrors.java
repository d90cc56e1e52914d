package io.inlet;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;

/**
 * A record whose JSON does not parse, told alike in every way in (a file's line, an upload-json or validate body):
 * the field the parser had reached, and why. Jackson's own message for a record nested too deep counts the levels of
 * whatever it was reading (a request body's envelope adds two) and has no location, so that one is said in the
 * record's terms, at the outermost field of the deep value.
 */
public final class JsonParseErrors {

    private JsonParseErrors() {
    }

    /** Where in the record and what: {@code pointer} within what was parsed, "" for the whole. */
    public record Finding(String pointer, String message, boolean tooDeep) {
    }

    /**
     * @param json        the factory the bytes were parsed with
     * @param start       where the parsed bytes begin in {@code bytes}; {@code length}: how many
     * @param keep        for a value nested too deep: how many leading segments of its pointer name it (1 for a
     *                    record's field; 3 in a request body, {@code /data/{index}/field})
     * @param maxDepth    how deep a record may nest
     * @param where       where the error is, in the caller's terms (" at column 7"), or ""
     */
    public static Finding of(JsonFactory json, byte[] bytes, int start, int length, JsonProcessingException e, int keep,
            int maxDepth, String where) {
        if (e instanceof StreamConstraintsException && String.valueOf(e.getOriginalMessage()).contains("nesting depth")) {
            // the parser stops at the first level too many: the last pointer it reached is inside the deep value
            String deepest = UnicodeText.pointerAt(json, bytes, start, length, Integer.MAX_VALUE);
            return new Finding(leading(deepest, keep), "nests deeper than " + maxDepth + " levels, the most a record may",
                    true);
        }
        JsonLocation at = e.getLocation();
        // the field the parser had reached (a duplicate field's name), so that the finding names more than the record
        String pointer = at == null || at.getByteOffset() < 0 ? ""
                : UnicodeText.pointerAt(json, bytes, start, length, (int) at.getByteOffset());
        return new Finding(pointer, "malformed JSON" + where + ": " + e.getOriginalMessage(), false);
    }

    /** The first {@code segments} segments of a JSON pointer ("/a/b/c", 2: "/a/b"). */
    static String leading(String pointer, int segments) {
        int end = 0;
        for (int i = 0; i < segments; i++) {
            int next = pointer.indexOf('/', end + 1);
            if (next < 0) {
                return pointer;
            }
            end = next;
        }
        return pointer.substring(0, end);
    }
}

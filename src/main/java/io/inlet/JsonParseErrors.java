package io.inlet;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;

/**
 * A record whose JSON does not parse, told alike in every way in (a file's line, an upload-json or validate body):
 * the field the parser had reached, and why. Jackson's own message for a record nested too deep counts the levels of
 * whatever it was reading (a request body's envelope adds two) and has no location, so that one is said in the
 * record's terms, at the outermost field of the deep value; so are numbers and field names longer than it reads.
 */
public final class JsonParseErrors {

    /** Jackson's words for a value longer than its read constraints allow. */
    private static final Pattern TOO_LONG = Pattern.compile(
            "^(Number value|String value|Name) length \\((\\d+)\\) exceeds the maximum allowed \\((\\d+)");

    private JsonParseErrors() {
    }

    /**
     * Where in the record and what: {@code pointer} within what was parsed, "" for the whole; {@code inRecordTerms}:
     * the message is the finding's own (a limit of the parser, said for the record), not the parser's.
     */
    public record Finding(String pointer, String message, boolean inRecordTerms) {
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
        Matcher tooLong = e instanceof StreamConstraintsException ? TOO_LONG.matcher(String.valueOf(e.getOriginalMessage()))
                : null;
        if (tooLong != null && tooLong.find()) {
            // valid JSON, but more than the parser reads: said in the record's terms, at the value (a number) or the
            // object holding the field (a name), for the parser's own message has neither
            boolean name = tooLong.group(1).equals("Name");
            String what = name ? "a field name of " + tooLong.group(2) + " characters"
                    : tooLong.group(1).startsWith("Number") ? "a number of " + tooLong.group(2) + " digits"
                    : "a string of " + tooLong.group(2) + " characters";
            return new Finding(UnicodeText.pointerAt(json, bytes, start, length, Integer.MAX_VALUE, name),
                    "has " + what + ", more than the " + tooLong.group(3) + " a record may have", true);
        }
        JsonLocation at = e.getLocation();
        // the field the parser had reached (a duplicate field's name), so that the finding names more than the record
        String pointer = at == null || at.getByteOffset() < 0 ? ""
                : UnicodeText.pointerAt(json, bytes, start, length, (int) at.getByteOffset());
        return new Finding(pointer, "malformed JSON" + where + ": " + said(e), false);
    }

    private static final Pattern SOURCE = Pattern.compile("\\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]");
    private static final Pattern BOUND_AS = Pattern.compile(" \\(bound as `[^`]*`\\)");
    /** Jackson's advice to its own user: "enable `JsonReadFeature.X` to allow", "not allowed as per `Feature`". */
    private static final Pattern FEATURE = Pattern.compile(":? (enable `[A-Za-z_.]+` to allow|not allowed as per `[A-Za-z_.]+`)");

    /**
     * The parser's message for a sender: without the names of Jackson's own classes and settings, which mean nothing
     * to whoever sent the JSON ("start marker at line 1, column 1" for "[Source: REDACTED (`StreamReadFeature…`
     * disabled); line: 1, column: 1]").
     */
    public static String said(JsonProcessingException e) {
        String message = String.valueOf(e.getOriginalMessage());
        message = SOURCE.matcher(message).replaceAll("line $1, column $2");
        message = BOUND_AS.matcher(message).replaceAll("");
        return FEATURE.matcher(message).replaceAll("").trim();
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

package io.inlet.upload;

import java.io.ByteArrayOutputStream;

/** One JSON value of a request as one JSONL line, its text otherwise untouched. */
final class JsonLines {

    private JsonLines() {
    }

    /**
     * Writes the JSON value in {@code bytes[start, end)} without the whitespace between its tokens (space, tab, CR,
     * LF: the only whitespace JSON allows there); strings are copied byte for byte, escapes and all. The value must be
     * well-formed JSON (a parser has read it): only then is every {@code "} outside a string the start of one.
     */
    static void writeCompact(byte[] bytes, int start, int end, ByteArrayOutputStream out) {
        int from = start;
        boolean inString = false;
        for (int i = start; i < end; i++) {
            byte b = bytes[i];
            if (inString) {
                if (b == '\\') {
                    i++; // the escaped byte, whatever it is, belongs to the string
                } else if (b == '"') {
                    inString = false;
                }
            } else if (b == '"') {
                inString = true;
            } else if (b == ' ' || b == '\t' || b == '\n' || b == '\r') {
                out.write(bytes, from, i - from);
                from = i + 1;
            }
        }
        out.write(bytes, from, end - from);
    }
}

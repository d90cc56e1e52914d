package io.inlet;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.google.common.base.Utf8;

/**
 * JSON text must be well-formed UTF-8 (RFC 8259) and, for the lake's readers, valid Unicode: no overlong forms, no
 * encoded UTF-16 surrogates, nothing above U+10FFFF, no stray or missing continuation bytes, and no {@code \\u}
 * escape of half a surrogate pair without the other half. Jackson reads several of these leniently (an overlong "/"
 * as "/", a surrogate, encoded or escaped, as a lone char), so a record could reach the lake altered, or, where its
 * line is kept byte for byte, as text that strict readers (DuckDB's yyjson, Rust's serde_json, Python for the bytes)
 * refuse for the whole file. They are refused where they come in, saying where and what they are.
 */
public final class UnicodeText {

    /** Where the text goes wrong (from the start of the range checked) and what is wrong there, for a sender. */
    public record Flaw(int offset, String what) {
    }

    private UnicodeText() {
    }

    /** The first flaw in {@code length} bytes of JSON text from {@code start}; null when there is none. */
    public static Flaw firstFlaw(byte[] bytes, int start, int length) {
        int invalid = firstInvalidUtf8(bytes, start, length);
        if (invalid >= 0) {
            return new Flaw(invalid, describeBytes(bytes, start + invalid, start + length)
                    + "; JSON text must be UTF-8");
        }
        int lone = firstLoneSurrogateEscape(bytes, start, length);
        if (lone >= 0) {
            return new Flaw(lone, new String(bytes, start + lone, 6, StandardCharsets.US_ASCII)
                    + " is half of a UTF-16 surrogate pair, without the other half; JSON text must be valid Unicode");
        }
        return null;
    }

    /**
     * The JSON pointer of the field whose name or value holds byte {@code offset} (from {@code start}) of this JSON
     * text: "" when that is outside every field or the text breaks off before it. Only for text already refused, so a
     * second read, streaming and lenient.
     */
    public static String pointerAt(JsonFactory json, byte[] bytes, int start, int length, int offset) {
        return pointerAt(json, bytes, start, length, offset, false);
    }

    /**
     * As {@link #pointerAt(JsonFactory, byte[], int, int, int)}; {@code container}: where the parser broke off, the
     * object or array it was in, not the field or element it had reached last (a field name that could not be read
     * belongs to the object, not to the field before it).
     */
    public static String pointerAt(JsonFactory json, byte[] bytes, int start, int length, int offset, boolean container) {
        String pointer = "";
        JsonParser parser = null;
        try {
            parser = json.createParser(bytes, start, length);
            while (parser.nextToken() != null) {
                if (parser.currentTokenLocation().getByteOffset() > offset) {
                    break;
                }
                pointer = parser.getParsingContext().pathAsPointer().toString();
            }
        } catch (IOException brokenBeforeOrAtTheBytes) {
            // where the parser was when it broke off: the field whose name it had read (a duplicate name, one with a
            // raw control character in its value), rather than the token before, which may be another field's
            if (parser != null) {
                JsonStreamContext at = parser.getParsingContext();
                pointer = (container && at.getParent() != null ? at.getParent() : at).pathAsPointer().toString();
            }
        } finally {
            if (parser != null) {
                try {
                    parser.close();
                } catch (IOException ignored) {
                    // nothing held: the bytes are in memory
                }
            }
        }
        return pointer;
    }

    private static int firstInvalidUtf8(byte[] bytes, int start, int length) {
        if (Utf8.isWellFormed(bytes, start, length)) {
            return -1; // the common case: a scan, no allocation
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, start, length);
        CharBuffer out = CharBuffer.allocate(Math.max(16, Math.min(length, 8192)));
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            if (result.isError()) {
                return in.position() - start;
            }
            if (result.isUnderflow()) {
                // The JDK's decoder and Guava's check follow the same table; should they ever differ, the bytes
                // are still refused, from their first non-ASCII byte.
                return firstNonAscii(bytes, start, length);
            }
            out.clear();
        }
    }

    /** The ill-formed sequence at {@code at}: its bytes in hex and why they are refused. */
    private static String describeBytes(byte[] bytes, int at, int end) {
        StringBuilder hex = new StringBuilder();
        for (int i = at; i < Math.min(end, at + 4); i++) {
            if (i > at && (bytes[i] & 0xC0) != 0x80) {
                break; // the sequence ends where the next lead byte (or ASCII) begins
            }
            hex.append(hex.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%02X", bytes[i] & 0xFF));
        }
        return "bytes " + hex + " are not UTF-8 (" + why(bytes, at, end) + ")";
    }

    private static String why(byte[] bytes, int at, int end) {
        int lead = bytes[at] & 0xFF;
        int next = at + 1 < end ? bytes[at + 1] & 0xFF : -1;
        if (lead >= 0x80 && lead <= 0xBF) {
            return "a continuation byte with no lead byte";
        }
        if (lead == 0xC0 || lead == 0xC1 || (lead == 0xE0 && next >= 0x80 && next < 0xA0)
                || (lead == 0xF0 && next >= 0x80 && next < 0x90)) {
            return "an overlong encoding";
        }
        if (lead == 0xED && next >= 0xA0 && next <= 0xBF) {
            return "an encoded UTF-16 surrogate, U+D800 to U+DFFF";
        }
        if (lead >= 0xF8) {
            return "never a byte of UTF-8";
        }
        if (lead >= 0xF5 || (lead == 0xF4 && next >= 0x90 && next <= 0xBF)) {
            return "beyond U+10FFFF";
        }
        return "a sequence cut short";
    }

    /**
     * The offset of the first {@code \\uD800}-{@code \\uDFFF} escape that is not a high surrogate followed at once by
     * an escaped low one, or -1. Escapes are read in order, so an escaped backslash before a "u" is no escape; text
     * outside strings holds no backslash in valid JSON, and what is not valid JSON the parser refuses after this.
     */
    private static int firstLoneSurrogateEscape(byte[] bytes, int start, int length) {
        int end = start + length;
        int i = start;
        while ((i = indexOfBackslash(bytes, i, end)) < end) {
            int unit = i + 1 < end && bytes[i + 1] == 'u' ? hex4(bytes, i + 2, end) : -1;
            if (unit < 0xD800 || unit > 0xDFFF) {
                i += unit < 0 ? 2 : 6;
                continue;
            }
            boolean high = unit <= 0xDBFF;
            int low = high && i + 7 < end && bytes[i + 6] == '\\' && bytes[i + 7] == 'u' ? hex4(bytes, i + 8, end) : -1;
            if (!high || low < 0xDC00 || low > 0xDFFF) {
                return i - start;
            }
            i += 12;
        }
        return -1;
    }

    /** A loop of its own: most lines have no escape at all, and the JIT keeps this one tight. */
    private static int indexOfBackslash(byte[] bytes, int from, int end) {
        int i = from;
        while (i < end && bytes[i] != '\\') {
            i++;
        }
        return i;
    }

    /** The four hex digits at {@code at} as a number, or -1 when there are not four. */
    private static int hex4(byte[] bytes, int at, int end) {
        if (at + 4 > end) {
            return -1;
        }
        int value = 0;
        for (int i = at; i < at + 4; i++) {
            int digit = Character.digit(bytes[i], 16);
            if (digit < 0) {
                return -1;
            }
            value = value << 4 | digit;
        }
        return value;
    }

    private static int firstNonAscii(byte[] bytes, int start, int length) {
        for (int i = start; i < start + length; i++) {
            if (bytes[i] < 0) {
                return i - start;
            }
        }
        return 0;
    }
}

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
import com.google.common.base.Utf8;

/**
 * JSON text must be well-formed UTF-8 (RFC 8259): no overlong forms, no encoded UTF-16 surrogates, nothing above
 * U+10FFFF, no stray or missing continuation bytes. Jackson reads several of these leniently (an overlong "/" as
 * "/", an encoded surrogate as a lone char) and refuses others, so a record could reach the lake altered, or, where
 * its line is kept byte for byte, as bytes that strict readers (DuckDB, Python) refuse for the whole file. They are
 * refused where they come in, saying where and what they are.
 */
public final class Utf8Text {

    private Utf8Text() {
    }

    /** The offset (from {@code start}) of the first ill-formed sequence, or -1 when all {@code length} bytes are fine. */
    public static int firstInvalid(byte[] bytes, int start, int length) {
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

    /** What the ill-formed sequence at {@code offset} is, for a sender: its bytes in hex and why they are refused. */
    public static String describe(byte[] bytes, int start, int length, int offset) {
        int at = start + offset;
        int end = Math.min(start + length, at + 4);
        StringBuilder hex = new StringBuilder();
        for (int i = at; i < end; i++) {
            if (i > at && (bytes[i] & 0xC0) != 0x80) {
                break; // the sequence ends where the next lead byte (or ASCII) begins
            }
            hex.append(hex.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%02X", bytes[i] & 0xFF));
        }
        return "bytes " + hex + " are not UTF-8 (" + why(bytes, at, start + length) + ")";
    }

    /**
     * The JSON pointer of the field whose name or value holds byte {@code offset} (from {@code start}) of this JSON
     * text: "" when that is outside every field or the text breaks off before it. Only for text already refused, so a
     * second read, streaming and lenient.
     */
    public static String pointerAt(JsonFactory json, byte[] bytes, int start, int length, int offset) {
        String pointer = "";
        try (JsonParser parser = json.createParser(bytes, start, length)) {
            while (parser.nextToken() != null) {
                if (parser.currentTokenLocation().getByteOffset() > offset) {
                    break;
                }
                pointer = parser.getParsingContext().pathAsPointer().toString();
            }
        } catch (IOException brokenBeforeOrAtTheBytes) {
            // the pointer of the last token read before it
        }
        return pointer;
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

    private static int firstNonAscii(byte[] bytes, int start, int length) {
        for (int i = start; i < start + length; i++) {
            if (bytes[i] < 0) {
                return i - start;
            }
        }
        return 0;
    }
}

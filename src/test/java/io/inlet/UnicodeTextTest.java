package io.inlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonFactory;
import org.junit.jupiter.api.Test;

class UnicodeTextTest {

    private static final JsonFactory JSON = new JsonFactory();

    @Test
    void wellFormedTextPassesWhateverItsScriptAndItsEscapes() {
        byte[] text = ("{\"name\":\"José 東京 \uD83D\uDE00\",\"escaped\":\"\\uD83D\\uDE00 \\u00e9 \\\\uD800 \\\\\\u0041\","
                + "\"plain\":\"ascii\"}").getBytes(StandardCharsets.UTF_8);

        assertThat(UnicodeText.firstFlaw(text, 0, text.length)).isNull();
        assertThat(UnicodeText.firstFlaw(new byte[0], 0, 0)).isNull();
    }

    @Test
    void eachKindOfIllFormedSequenceIsFoundAndNamed() {
        assertRefused("C0 AF", "C0 AF", "an overlong encoding");
        assertRefused("E0 80 AF", "E0 80 AF", "an overlong encoding");
        assertRefused("F0 80 80 AF", "F0 80 80 AF", "an overlong encoding");
        assertRefused("ED A0 80", "ED A0 80", "an encoded UTF-16 surrogate, U+D800 to U+DFFF");
        assertRefused("F4 90 80 80", "F4 90 80 80", "beyond U+10FFFF");
        assertRefused("F5 80 80 80", "F5 80 80 80", "beyond U+10FFFF");
        assertRefused("FF FE", "FF", "never a byte of UTF-8");
        assertRefused("80", "80", "a continuation byte with no lead byte");
        assertRefused("E2 82 41", "E2 82", "a sequence cut short");
    }

    @Test
    void anEscapedHalfOfASurrogatePairIsFoundWhereverItStands() {
        for (String lone : new String[] {"\\uD800", "\\udbff\\u0041", "\\uDC00", "\\uD800\\uD800", "\\uDE00\\uD83D"}) {
            byte[] text = ("{\"v\":\"a" + lone + "\"}").getBytes(StandardCharsets.US_ASCII);

            UnicodeText.Flaw flaw = UnicodeText.firstFlaw(text, 0, text.length);

            assertThat(flaw).as(lone).isNotNull();
            assertThat(flaw.offset()).as(lone).isEqualTo(7);
            assertThat(flaw.what()).as(lone).isEqualTo(lone.substring(0, 6)
                    + " is half of a UTF-16 surrogate pair, without the other half; JSON text must be valid Unicode");
        }
        byte[] atTheEnd = "{\"v\":\"\\uD83D".getBytes(StandardCharsets.US_ASCII);
        assertThat(UnicodeText.firstFlaw(atTheEnd, 0, atTheEnd.length).offset()).isEqualTo(6);
    }

    @Test
    void theOffsetIsThatOfTheFirstFlawWithinTheRangeGiven() {
        // a well-formed é before it, and bytes outside the range that would be refused
        byte[] line = bytes("FF 7B 22 C3 A9 22 3A 22 ED A0 80 22 7D FF");

        UnicodeText.Flaw flaw = UnicodeText.firstFlaw(line, 1, line.length - 2);

        assertThat(flaw.offset()).isEqualTo(7);
        assertThat(flaw.what()).startsWith("bytes ED A0 80 are not UTF-8");
    }

    @Test
    void thePointerNamesTheFieldWhoseNameOrValueHoldsTheFlaw() {
        byte[] record = join("{\"id\":\"r-1\",\"props\":{\"list\":[\"ok\",\"x", "ED A0 80", "\"]},\"n", "C0 AF", "\":1}");
        int inValue = UnicodeText.firstFlaw(record, 0, record.length).offset();
        int inName = indexOf(record, (byte) 0xC0);

        assertThat(UnicodeText.pointerAt(JSON, record, 0, record.length, inValue)).isEqualTo("/props/list/1");
        assertThat(UnicodeText.pointerAt(JSON, record, 0, record.length, inName)).startsWith("/n");
        assertThat(UnicodeText.pointerAt(JSON, record, 0, 3, 1)).isEmpty();
    }

    @Test
    void thePointerCountsFromTheStartOfTheRangeGiven() {
        byte[] lines = join("{\"a\":\"b\"}\n{\"id\":\"", "ED A0 80", "\"}");
        int start = indexOf(lines, (byte) '\n') + 1;
        int offset = UnicodeText.firstFlaw(lines, start, lines.length - start).offset();

        assertThat(offset).isEqualTo(7);
        assertThat(UnicodeText.pointerAt(JSON, lines, start, lines.length - start, offset)).isEqualTo("/id");
    }

    private static void assertRefused(String sequence, String shown, String why) {
        byte[] text = join("{\"v\":\"a", sequence, "\"}");

        UnicodeText.Flaw flaw = UnicodeText.firstFlaw(text, 0, text.length);

        assertThat(flaw.offset()).as(sequence).isEqualTo(7);
        assertThat(flaw.what()).as(sequence).isEqualTo("bytes " + shown + " are not UTF-8 (" + why + "); JSON text must be UTF-8");
    }

    /** ASCII parts and hex parts ("ED A0 80") alternately, ASCII first. */
    private static byte[] join(String... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < parts.length; i++) {
            out.writeBytes(i % 2 == 0 ? parts[i].getBytes(StandardCharsets.US_ASCII) : bytes(parts[i]));
        }
        return out.toByteArray();
    }

    private static byte[] bytes(String hex) {
        String[] pairs = hex.split(" ");
        byte[] bytes = new byte[pairs.length];
        for (int i = 0; i < pairs.length; i++) {
            bytes[i] = (byte) Integer.parseInt(pairs[i], 16);
        }
        return bytes;
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}

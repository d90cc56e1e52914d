package io.inlet.upload;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A request's record as one line: only the whitespace between tokens goes, never a byte of a string. */
class JsonLinesTest {

    static Stream<Arguments> sentAndStored() {
        return Stream.of(
                Arguments.of("{ \"a\" : 1 ,\r\n\t\"b\" : [ 1 , 2 ] }", "{\"a\":1,\"b\":[1,2]}"),
                Arguments.of("{\"s\":\" spaced   out \"}", "{\"s\":\" spaced   out \"}"),
                Arguments.of("{\"q\":\"say \\\" { x \\\" \" , \"n\" : 2}", "{\"q\":\"say \\\" { x \\\" \",\"n\":2}"),
                Arguments.of("{\"b\":\"ends in a backslash \\\\\" , \"c\" : \" \"}",
                        "{\"b\":\"ends in a backslash \\\\\",\"c\":\" \"}"),
                Arguments.of("{\"z\":\"Zürich  \\u00e9\" }", "{\"z\":\"Zürich  \\u00e9\"}"),
                Arguments.of("{\"n\": -0.0e+0 }", "{\"n\":-0.0e+0}"));
    }

    @ParameterizedTest
    @MethodSource("sentAndStored")
    void onlyWhitespaceBetweenTokensGoes(String sent, String line) {
        byte[] padded = ("  " + sent + "  ").getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        JsonLines.writeCompact(padded, 2, padded.length - 2, out);

        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(line);
    }
}

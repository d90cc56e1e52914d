package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** The eight-bytes-at-a-time look for a CR in a line: wherever the CR is, and only within the line's bytes. */
class CarriageReturnScanTest {

    @Test
    void findsACarriageReturnAtEveryPlaceAndOnlyWithinTheLine() {
        for (int length = 0; length <= 40; length++) {
            for (int start = 0; start < 9; start++) {
                byte[] data = new byte[start + length + 9];
                Arrays.fill(data, (byte) 'a');
                data[start - (start > 0 ? 1 : 0)] = start > 0 ? (byte) '\r' : (byte) 'a'; // just before the line
                data[start + length] = '\r'; // just after it
                assertThat(RecordCheck.hasCarriageReturn(data, start, length)).as("none in %d at %d", length, start).isFalse();
                for (int at = start; at < start + length; at++) {
                    data[at] = '\r';
                    assertThat(RecordCheck.hasCarriageReturn(data, start, length)).as("at %d", at).isTrue();
                    data[at] = (byte) (at % 2 == 0 ? 0x8D : 0x0C); // near misses: high bit set, one below
                    assertThat(RecordCheck.hasCarriageReturn(data, start, length)).as("near miss at %d", at).isFalse();
                    data[at] = 'a';
                }
            }
        }
    }
}

package io.inlet.pipeline;

import java.io.IOException;
import java.io.InputStream;

/** A stream whose reading is all in {@code read(byte[], int, int)}: the one-byte read goes through it too. */
abstract class BlockInputStream extends InputStream {

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }
}

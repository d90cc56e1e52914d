package io.inlet.api;

/** Byte counts as people read them in error messages. */
public final class Sizes {

    private Sizes() {
    }

    /** "1048576 bytes (1 MiB)", or just "1000 bytes" when it is no round number of MiB or KiB. */
    public static String describe(long bytes) {
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
            return bytes + " bytes (" + (bytes >> 20) + " MiB)";
        }
        if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) {
            return bytes + " bytes (" + (bytes >> 10) + " KiB)";
        }
        return bytes + " bytes";
    }
}

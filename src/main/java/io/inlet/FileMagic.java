package io.inlet;

/**
 * What a file holds, told by its first bytes and never by its name: the pipeline, the drop folder and the
 * {@code upload} command must agree on it, so they all ask here.
 */
public final class FileMagic {

    /** Enough of a file's start for every test below. */
    public static final int HEAD_BYTES = 4;

    private FileMagic() {
    }

    public static boolean isGzip(byte[] head) {
        return head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b;
    }

    /** "PK" and a local file header (03 04), an empty archive's end record (05 06) or a split archive's mark (07 08). */
    public static boolean isZip(byte[] head) {
        return head.length >= 4 && head[0] == 'P' && head[1] == 'K'
                && (head[2] == 3 && head[3] == 4 || head[2] == 5 && head[3] == 6 || head[2] == 7 && head[3] == 8);
    }
}

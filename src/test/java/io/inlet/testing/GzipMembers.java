package io.inlet.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * Gzip files made of many members, as {@code for f in part.*; do gzip -c $f; done}, {@code cat a.gz b.gz},
 * {@code pigz --independent} or bgzip make them: valid gzip (RFC 1952) that must read as the whole text.
 */
public final class GzipMembers {

    private static final int HEADER_BYTES = 10;
    private static final byte FNAME = 0x08;

    private GzipMembers() {
    }

    /** A multi-member gzip file, how many members it has, and how many of them end inside a line. */
    public record File(byte[] bytes, int members, int cutMidLine) {
    }

    /** One gzip member holding {@code data}. */
    public static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** One member as {@code gzip -c name} writes it: its header carries the file name (FLG.FNAME). */
    private static byte[] gzipNamed(byte[] data, String name) {
        byte[] plain = gzip(data);
        byte[] fname = (name + "\0").getBytes(StandardCharsets.ISO_8859_1);
        byte[] named = new byte[plain.length + fname.length];
        System.arraycopy(plain, 0, named, 0, HEADER_BYTES);
        named[3] |= FNAME;
        System.arraycopy(fname, 0, named, HEADER_BYTES, fname.length);
        System.arraycopy(plain, HEADER_BYTES, named, HEADER_BYTES + fname.length, plain.length - HEADER_BYTES);
        return named;
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** The text's lines, {@code linesPerMember} to a member: what {@code split -l} then {@code gzip -c} of each part give. */
    public static File everyLines(byte[] text, int linesPerMember) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int members = 0;
        for (int from = 0; from < text.length; members++) {
            int to = from;
            for (int lines = 0; lines < linesPerMember && to < text.length; lines++) {
                to = endOfLine(text, to);
            }
            out.writeBytes(gzipNamed(Arrays.copyOfRange(text, from, to), "part." + members));
            from = to;
        }
        return new File(out.toByteArray(), members, 0);
    }

    /**
     * The text in members of one to three lines; about a quarter of them end inside a line (the line goes on
     * in the next member), half carry a file name in their header, and now and then an empty member comes
     * between two others.
     */
    public static File random(byte[] text, Random random) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int members = 0;
        int cutMidLine = 0;
        int from = 0;
        while (from < text.length) {
            int to = from;
            for (int lines = 1 + random.nextInt(3); lines > 0 && to < text.length; lines--) {
                to = endOfLine(text, to);
            }
            if (random.nextInt(4) == 0 && to < text.length) {
                int lineLength = endOfLine(text, to) - to;
                if (lineLength > 1) {
                    to += 1 + random.nextInt(lineLength - 1);
                    cutMidLine++;
                }
            }
            byte[] part = Arrays.copyOfRange(text, from, to);
            out.writeBytes(random.nextBoolean() ? gzip(part) : gzipNamed(part, "part." + members));
            members++;
            if (random.nextInt(50) == 0) {
                out.writeBytes(gzip(new byte[0]));
                members++;
            }
            from = to;
        }
        return new File(out.toByteArray(), members, cutMidLine);
    }

    /** The index just after the newline that ends the line starting at {@code from} (or the end of the text). */
    private static int endOfLine(byte[] text, int from) {
        int i = from;
        while (i < text.length && text[i] != '\n') {
            i++;
        }
        return Math.min(i + 1, text.length);
    }
}

package io.inlet.pipeline;

import java.util.List;

import io.inlet.schema.FieldError;

/**
 * A run of consecutive lines of one file, copied out of the read buffer so that they can be checked on
 * another thread while the next run is read. Checked results are applied strictly in file order.
 */
final class Chunk {

    static final byte VALID = 1;
    static final byte REJECTED = 2;
    static final byte BLANK = 3;

    final int capacity;
    byte[] data;
    int used;
    int count;
    final int[] start;
    final int[] length;
    final long[] line;
    /** For an oversized line: its full length (the chunk holds only its kept prefix); else 0. */
    final long[] oversizedLength;

    // Filled in by RecordCheck:
    final byte[] verdict;
    /** Valid records: the partition date as an epoch day. */
    final int[] epochDay;
    @SuppressWarnings("unchecked")
    final List<FieldError>[] errors;

    /** The zip archive entry the lines are from; null when the file is no archive. */
    String entry;

    /** A failure met while reading (the last chunk of a file then carries it instead of lines). */
    Exception failure;
    boolean last;

    @SuppressWarnings("unchecked")
    Chunk(int capacity, int initialBytes) {
        this.capacity = capacity;
        this.data = new byte[initialBytes];
        this.start = new int[capacity];
        this.length = new int[capacity];
        this.line = new long[capacity];
        this.oversizedLength = new long[capacity];
        this.verdict = new byte[capacity];
        this.epochDay = new int[capacity];
        this.errors = new List[capacity];
    }

    boolean isFull(int maxBytes) {
        return count == capacity || used >= maxBytes;
    }

    void add(byte[] src, int offset, int len, long lineNumber, long oversized) {
        if (used + len > data.length) {
            byte[] bigger = new byte[Math.max(data.length * 2, used + len)];
            System.arraycopy(data, 0, bigger, 0, used);
            data = bigger;
        }
        System.arraycopy(src, offset, data, used, len);
        start[count] = used;
        length[count] = len;
        line[count] = lineNumber;
        oversizedLength[count] = oversized;
        used += len;
        count++;
    }
}

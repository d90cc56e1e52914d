package io.inlet.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits a byte stream into lines without ever holding more than one line (at most {@code maxLineBytes})
 * plus a read buffer. A longer line is not kept: its first {@code keptBytes} are, the rest is skipped up to
 * the next newline and the line is reported as oversized. LF and CRLF both end a line; a last line without
 * a newline counts. A UTF-8 byte order mark at the start of a line is dropped.
 *
 * <p>The buffer starts small and grows only for a line that does not fit it. A reader is made for every inbox
 * object; one the size of the limit (over a megabyte) for every small object was a humongous allocation on a
 * 512 MB heap, and a garbage collection, several times a second under small-batch load.
 */
final class LineReader {

    /** The current line: bytes {@code [offset, offset + length)} of {@code array}; valid until the next call. */
    byte[] array;
    int offset;
    int length;
    /** 1-based number of the current line in the file. */
    long lineNumber;
    /** Set when the current line was longer than the limit: {@code length} then covers only the kept prefix. */
    boolean oversized;
    /** For an oversized line, its full length in bytes. */
    long oversizedLength;

    /** Where a buffer starts: under half a heap region of a 512 MB heap, so an ordinary allocation. */
    static final int INITIAL_BUFFER_BYTES = 256 * 1024;

    private byte[] buffer;
    private final int bufferLimit;
    private InputStream in;
    private final int maxLineBytes;
    private final int keptBytes;
    private int position;
    private int limit;
    private boolean eof;
    private byte[] kept;

    LineReader(InputStream in, int maxLineBytes, int keptBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
        this.keptBytes = Math.min(keptBytes, maxLineBytes);
        this.bufferLimit = maxLineBytes + 65_536;
        this.buffer = new byte[Math.min(bufferLimit, INITIAL_BUFFER_BYTES)];
    }

    /** Reads another stream from its first line on (the next entry of an archive), with the same buffer. */
    void startOver(InputStream next) {
        in = next;
        position = 0;
        limit = 0;
        eof = false;
        lineNumber = 0;
        oversized = false;
    }

    /** Advances to the next line; false at the end of the stream. */
    boolean next() throws IOException {
        oversized = false;
        int scanFrom = position;
        while (true) {
            int newline = indexOf((byte) '\n', scanFrom, limit);
            if (newline >= 0) {
                // the record's own length (without a byte order mark or CR) only for a line over the limit
                if (newline - position > maxLineBytes && recordLength(newline) > maxLineBytes) {
                    return oversized(recordLength(newline), newline + 1);
                }
                setLine(position, newline);
                position = newline + 1;
                return true;
            }
            // a few bytes more than the limit may still be a line of the limit with a byte order mark and a CR
            if (limit - position > maxLineBytes + 4L) {
                return skipOversized();
            }
            if (eof) {
                if (position < limit) {
                    if (limit - position > maxLineBytes && recordLength(limit) > maxLineBytes) {
                        return oversized(recordLength(limit), limit);
                    }
                    setLine(position, limit);
                    position = limit;
                    return true;
                }
                return false;
            }
            scanFrom = limit;
            int shift = compact();
            scanFrom -= shift;
            if (limit == buffer.length) {
                grow(); // no newline in a full buffer, and still within the limit (checked above)
            }
            fill();
        }
    }

    /**
     * The bytes of the record on the line from {@code position} to {@code end}: without a byte order mark before it
     * or the CR of a CRLF after it (the limit is on the record, as {@link #setLine} hands it out).
     */
    private int recordLength(int end) {
        int start = hasByteOrderMark(position, end) ? position + 3 : position;
        return (end > start && buffer[end - 1] == '\r' ? end - 1 : end) - start;
    }

    private boolean hasByteOrderMark(int start, int end) {
        return end - start >= 3 && buffer[start] == (byte) 0xEF && buffer[start + 1] == (byte) 0xBB
                && buffer[start + 2] == (byte) 0xBF;
    }

    private void grow() {
        buffer = Arrays.copyOf(buffer, (int) Math.min(bufferLimit, buffer.length * 2L));
    }

    private void setLine(int start, int end) {
        lineNumber++;
        int first = start;
        if (hasByteOrderMark(start, end)) {
            // A UTF-8 byte order mark is not part of the record, and lake readers (DuckDB) refuse a part with one.
            // Editors put one at the start of a file; cat a.jsonl b.jsonl carries b's to the start of a line.
            first += 3;
        }
        int last = end;
        if (last > first && buffer[last - 1] == '\r') {
            last--;
        }
        array = buffer;
        offset = first;
        length = last - first;
    }

    /** The line is in the buffer but too long: report only its prefix. */
    private boolean oversized(long fullLength, int resumeAt) {
        lineNumber++;
        keep(position);
        oversized = true;
        oversizedLength = fullLength;
        position = resumeAt;
        return true;
    }

    /** No newline within the limit: keep the prefix, then discard bytes until a newline or the end. */
    private boolean skipOversized() throws IOException {
        lineNumber++;
        // reported as the record's own length, as a line found whole is: without a byte order mark or CR
        long skipped = (limit - position) - (hasByteOrderMark(position, limit) ? 3 : 0);
        keep(position);
        byte last = buffer[limit - 1];
        position = limit;
        while (true) {
            if (position == limit) {
                position = 0;
                limit = 0;
                if (eof) {
                    if (last == '\r') {
                        skipped--; // a last line without its newline: its CR is not the record's either
                    }
                    break;
                }
                fill();
                continue;
            }
            int newline = indexOf((byte) '\n', position, limit);
            if (newline >= 0) {
                skipped += newline - position;
                if (newline > position) {
                    last = buffer[newline - 1];
                }
                position = newline + 1;
                if (last == '\r') {
                    skipped--;
                }
                break;
            }
            skipped += limit - position;
            last = buffer[limit - 1];
            position = limit;
        }
        oversized = true;
        oversizedLength = skipped;
        return true;
    }

    private void keep(int start) {
        if (kept == null) {
            kept = new byte[keptBytes];
        }
        System.arraycopy(buffer, start, kept, 0, keptBytes);
        // The kept prefix gets its own array: the read buffer is reused while the rest is skipped.
        array = kept;
        offset = 0;
        length = keptBytes;
    }

    private int compact() {
        int shift = position;
        if (shift > 0) {
            System.arraycopy(buffer, position, buffer, 0, limit - position);
            limit -= shift;
            position = 0;
        }
        return shift;
    }

    private void fill() throws IOException {
        if (limit == buffer.length) {
            return;
        }
        int n = in.read(buffer, limit, buffer.length - limit);
        if (n < 0) {
            eof = true;
        } else {
            limit += n;
        }
    }

    private int indexOf(byte b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buffer[i] == b) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return "LineReader[line " + lineNumber + "]";
    }
}

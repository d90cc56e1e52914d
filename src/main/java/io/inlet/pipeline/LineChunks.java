package io.inlet.pipeline;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A file's lines in chunks of up to {@link #LINES_PER_CHUNK} lines or {@link #BYTES_PER_CHUNK} bytes, read on
 * demand: what the pipeline's streaming split iterates over. Each chunk is copied out of the read buffer so that
 * it can be checked on another thread while the next is read. The lines of a zip archive's JSONL entries come
 * one entry after the other, each numbered from 1; a chunk never holds lines of two entries, and names its entry.
 *
 * <p>Before reading a chunk it passes its {@link Gate}: the file's run writes the chunks that came back checked
 * and waits while too many are out, so memory stays bounded however fast the split pulls.
 *
 * <p>A storage failure comes out as an {@link UncheckedIOException} around {@link StorageReadException}, a
 * problem of the file itself around {@link SourceFailure}: the routes tell the two apart by cause.
 */
final class LineChunks implements Iterator<Chunk>, Closeable {

    static final int LINES_PER_CHUNK = 2048;
    static final int BYTES_PER_CHUNK = 1 << 20;

    /** Lets the next chunk be read once there is room for it; false when the file's run has stopped. */
    interface Gate {
        boolean roomFor(int chunksRead) throws IOException;
    }

    private final SourceStream source;
    private final LineReader lines;
    private volatile Gate gate = chunksRead -> true;
    private Chunk next;
    private boolean ended;
    /** Whether {@link #lines} is inside a content (the file's, or an archive entry's); else the next is opened first. */
    private boolean inContent;
    /** The archive entry being read (null for a file that is no archive). */
    private String entry;
    private int read;
    private int lastSize = 64 * 1024;
    /** Bytes of lines (JSONL after gunzip, oversized lines whole) read so far. */
    private long linesBytes;
    /** Past this many bytes of lines the next chunk is not read: the file is too big for its lane. */
    private long maxLinesBytes = Long.MAX_VALUE;

    LineChunks(SourceStream source, int maxLineBytes, int keptBytes) {
        this.source = source;
        this.lines = new LineReader(InputStream.nullInputStream(), maxLineBytes, keptBytes);
    }

    void gate(Gate gate) {
        this.gate = gate;
    }

    /** At most this many bytes of lines are read; the chunk after them fails with {@link OutgrewSmallLane}. */
    synchronized void bound(long maxLinesBytes) {
        this.maxLinesBytes = maxLinesBytes;
    }

    /** Bytes of lines read so far (after gunzip; an oversized line counts whole). */
    synchronized long linesBytes() {
        return linesBytes;
    }

    // Camel calls these from one pool thread after another (and, after a failure, once more from the thread
    // that ends the split): synchronized for visibility and against that last overlap.
    @Override
    public synchronized boolean hasNext() {
        if (next == null && !ended) {
            try {
                next = readChunk();
            } catch (IOException e) {
                ended = true;
                throw new UncheckedIOException(e);
            } catch (RuntimeException e) {
                // a broken file is not read any further, whoever asks again
                ended = true;
                throw e;
            }
        }
        return next != null;
    }

    @Override
    public synchronized Chunk next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Chunk chunk = next;
        next = null;
        read++;
        return chunk;
    }

    /** Chunks handed to the split so far. */
    synchronized int read() {
        return read;
    }

    /** Every line was read and handed out. */
    synchronized boolean exhausted() {
        return ended && next == null;
    }

    /** Bytes of the stored object read so far. */
    long bytesRead() {
        return source.bytesRead();
    }

    long size() {
        return source.size();
    }

    /** For a zip archive, what became of its entries so far (all of them once exhausted); null for other files. */
    synchronized ArchiveEntries archiveEntries() {
        return source.archiveEntries();
    }

    /**
     * Ends the S3 transfer (abort: closing would read the rest) and frees the inflater. Not synchronized: it is
     * what unblocks a read stuck on the network.
     */
    @Override
    public void close() {
        source.close();
    }

    private Chunk readChunk() throws IOException {
        if (linesBytes > maxLinesBytes) {
            throw new OutgrewSmallLane(linesBytes);
        }
        if (!gate.roomFor(read)) {
            ended = true;
            return null;
        }
        Chunk chunk = null;
        while (true) {
            if (!inContent) {
                SourceStream.Content content = source.next();
                if (content == null) {
                    ended = true;
                    return null;
                }
                lines.startOver(content.lines());
                entry = content.entry();
                inContent = true;
            }
            if (chunk == null) {
                chunk = new Chunk(LINES_PER_CHUNK, lastSize);
            }
            chunk.entry = entry;
            while (!chunk.isFull(BYTES_PER_CHUNK) && lines.next()) {
                chunk.add(lines.array, lines.offset, lines.length, lines.lineNumber,
                        lines.oversized ? lines.oversizedLength : 0);
                linesBytes += (lines.oversized ? lines.oversizedLength : lines.length) + 1;
            }
            lastSize = Math.min(Math.max(lastSize, chunk.data.length), 4 * BYTES_PER_CHUNK);
            if (!chunk.isFull(BYTES_PER_CHUNK)) {
                // this content is read to its end; an archive may have another entry
                inContent = false;
                ended = !source.isArchive();
            }
            if (chunk.count > 0) {
                return chunk;
            }
            if (ended) {
                return null;
            }
            // an empty entry: the same chunk is filled from the next one
        }
    }
}

package io.inlet.pipeline;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;

/**
 * A file's lines in chunks of up to {@link #LINES_PER_CHUNK} lines or {@link #BYTES_PER_CHUNK} bytes, read on
 * demand: what the pipeline's streaming split iterates over. Each chunk is copied out of the read buffer so that
 * it can be checked on another thread while the next is read.
 *
 * <p>At most {@code inFlight} chunks exist at once: a new one is read only after an earlier one was written
 * ({@link #written}). Camel's streaming split pulls as fast as it can hand chunks to its thread pool, so
 * without this bound a 2 GB file would pile up in memory behind slow checks.
 *
 * <p>A storage failure comes out as an {@link UncheckedIOException} around {@link StorageReadException}, a
 * problem of the file itself around {@link SourceFailure}: the routes tell the two apart by cause.
 */
final class LineChunks implements Iterator<Chunk>, Closeable {

    static final int LINES_PER_CHUNK = 2048;
    static final int BYTES_PER_CHUNK = 1 << 20;

    private final SourceStream source;
    private final LineReader lines;
    private final int inFlight;
    private int outstanding;
    private boolean closed;
    private Chunk next;
    private boolean ended;
    private int read;
    private int written;

    LineChunks(SourceStream source, int maxLineBytes, int keptBytes, int inFlight) {
        this.source = source;
        this.lines = new LineReader(source.content(), maxLineBytes, keptBytes);
        this.inFlight = Math.max(1, inFlight);
    }

    @Override
    public boolean hasNext() {
        if (next == null && !ended) {
            try {
                next = readChunk();
            } catch (RuntimeException e) {
                // Camel walks the iterator once more after a failure; a broken file is not read any further
                ended = true;
                throw e;
            }
        }
        return next != null;
    }

    @Override
    public Chunk next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Chunk chunk = next;
        next = null;
        read++;
        return chunk;
    }

    /** One chunk was written to the lake (in file order): room for the next to be read. */
    synchronized void written() {
        written++;
        outstanding--;
        notifyAll();
    }

    /** Every chunk read so far was also written: nothing was lost between the split and the lake. */
    synchronized boolean allWritten() {
        return ended && next == null && written == read;
    }

    /** Bytes of the stored object read so far. */
    long bytesRead() {
        return source.bytesRead();
    }

    long size() {
        return source.size();
    }

    /**
     * The file's run failed (a check or the lake writer): no more chunks, and a read waiting for room gives up.
     * Camel walks the split's iterator once more when it finishes, under its aggregation lock; without this it
     * would wait for room that the failed run never makes.
     */
    synchronized void stop() {
        closed = true;
        notifyAll();
    }

    /** Stops reading: a thread waiting for room gives up, the S3 transfer ends, the inflater is freed. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        source.close();
    }

    private Chunk readChunk() {
        if (!awaitRoom()) {
            ended = true;
            return null;
        }
        Chunk chunk = new Chunk(LINES_PER_CHUNK, 64 * 1024);
        try {
            while (!chunk.isFull(BYTES_PER_CHUNK) && lines.next()) {
                chunk.add(lines.array, lines.offset, lines.length, lines.lineNumber,
                        lines.oversized ? lines.oversizedLength : 0);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (chunk.count < LINES_PER_CHUNK && chunk.used < BYTES_PER_CHUNK) {
            ended = true;
        }
        if (chunk.count == 0) {
            synchronized (this) {
                outstanding--;
            }
            ended = true;
            return null;
        }
        return chunk;
    }

    /** Waits until fewer than {@code inFlight} chunks are out; false when the run stopped meanwhile. */
    private synchronized boolean awaitRoom() {
        try {
            while (outstanding >= inFlight && !closed) {
                wait();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for the lake writer");
        }
        if (closed) {
            return false;
        }
        outstanding++;
        return true;
    }
}

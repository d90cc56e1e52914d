package io.inlet.pipeline;

import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Reads a file's lines into chunks, checks chunks in parallel and hands them back strictly in file order:
 * reading and gunzip, parsing and validation, and writing the lake all run at once. The queue of chunks in
 * flight is bounded, so memory is too.
 */
final class ChunkPipeline {

    static final int LINES_PER_CHUNK = 2048;
    static final int BYTES_PER_CHUNK = 1 << 20;

    interface ChunkConsumer {
        void accept(Chunk chunk) throws IOException;
    }

    private final ExecutorService readers;
    private final ExecutorService checkers;
    private final int inFlight;

    ChunkPipeline(ExecutorService readers, ExecutorService checkers, int checkThreads) {
        this.readers = readers;
        this.checkers = checkers;
        this.inFlight = Math.max(2, checkThreads * 2);
    }

    void run(LineReader lines, RecordCheck check, ChunkConsumer consumer) throws IOException {
        BlockingQueue<CompletableFuture<Chunk>> queue = new ArrayBlockingQueue<>(inFlight);
        ReadLoop loop = new ReadLoop(lines, check, queue);
        CompletableFuture<Void> reading = CompletableFuture.runAsync(loop, readers);
        try {
            while (true) {
                CompletableFuture<Chunk> next = queue.poll(1, TimeUnit.SECONDS);
                if (next == null) {
                    if (reading.isDone() && queue.isEmpty()) {
                        reading.join();
                        throw new IllegalStateException("reader stopped without a last chunk");
                    }
                    continue;
                }
                Chunk chunk = next.get();
                if (chunk.failure != null) {
                    throw rethrow(chunk.failure);
                }
                consumer.accept(chunk);
                if (chunk.last) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        } finally {
            loop.cancelled = true;
        }
    }

    private static IOException rethrow(Throwable failure) {
        if (failure instanceof IOException io) {
            return io;
        }
        if (failure instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (failure instanceof Error error) {
            throw error;
        }
        return new IOException(failure);
    }

    private final class ReadLoop implements Runnable {
        private final LineReader lines;
        private final RecordCheck check;
        private final BlockingQueue<CompletableFuture<Chunk>> queue;
        volatile boolean cancelled;

        ReadLoop(LineReader lines, RecordCheck check, BlockingQueue<CompletableFuture<Chunk>> queue) {
            this.lines = lines;
            this.check = check;
            this.queue = queue;
        }

        @Override
        public void run() {
            Chunk chunk = new Chunk(LINES_PER_CHUNK, 64 * 1024);
            try {
                while (lines.next()) {
                    chunk.add(lines.array, lines.offset, lines.length, lines.lineNumber,
                            lines.oversized ? lines.oversizedLength : 0);
                    if (chunk.isFull(BYTES_PER_CHUNK)) {
                        submit(chunk);
                        chunk = new Chunk(LINES_PER_CHUNK, Math.min(chunk.data.length, 4 * BYTES_PER_CHUNK));
                    }
                }
                chunk.last = true;
                submit(chunk);
            } catch (java.util.concurrent.CancellationException stopped) {
                // the consumer gave up on this file
            } catch (Exception e) {
                if (cancelled) {
                    return;
                }
                Chunk failed = new Chunk(0, 0);
                failed.failure = e;
                failed.last = true;
                put(CompletableFuture.completedFuture(failed));
            }
        }

        private void submit(Chunk chunk) {
            put(CompletableFuture.supplyAsync(() -> {
                check.check(chunk);
                return chunk;
            }, checkers));
        }

        private void put(CompletableFuture<Chunk> future) {
            try {
                while (!cancelled) {
                    if (queue.offer(future, 200, TimeUnit.MILLISECONDS)) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new java.util.concurrent.CancellationException();
        }
    }
}

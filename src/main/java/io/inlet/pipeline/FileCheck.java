package io.inlet.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Settings;
import io.inlet.schema.FieldError;
import io.inlet.schema.RecordValidator;
import io.inlet.schema.Stream;

/**
 * A JSONL file, gzip or not, or a zip archive of such files, checked the way the pipeline checks an inbox file — the
 * same sniffing and unpacking ({@link SourceStream}: gzip and zip by their magic bytes, every gzip member, every zip
 * entry, bomb ratios), the same line reader and chunks
 * ({@link LineChunks}), the same parse and schema per line ({@link RecordCheck}), the same bound on the lake parts a
 * file's records go to ({@link PartsForecast}) — with nothing written anywhere:
 * the dry run a sender makes before uploading. Chunks are checked on the given pool while the next ones are read
 * (on the caller's thread), and their rejected lines are reported strictly in file order.
 */
public final class FileCheck {

    /**
     * Receives each rejected line, in file order, with its problems in the status document's words; {@code entry} is
     * the zip archive's entry the line is in (null for a file that is no archive).
     */
    public interface Rejections {
        void rejected(String entry, long line, List<FieldError> errors);
    }

    /**
     * What the pipeline would make of the file: records accepted and rejected (blank lines are skipped, as the
     * pipeline skips them), or, when it would fail the whole file, why (its {@code failure_reason}; nothing is
     * accepted or rejected then, though the lines read before the failure were reported). For a zip archive,
     * {@code entries} says which entries were read and which refused (null for other files).
     */
    public record Outcome(long accepted, long rejected, long blankLines, String failureReason, ArchiveEntries entries) {
    }

    private final RecordCheck check;
    private final Stream stream;
    private final BatchManifest.Cut limits;
    private final ExecutorService pool;
    private final int maxInFlight;

    /**
     * @param pipeline    the service's limits a file is read and stored under (line length, bomb ratio, zip entries,
     *                    lake parts)
     * @param pool        the threads that check chunks (the pipeline's {@code check-threads})
     * @param maxInFlight chunks read but not yet reported, at most (each up to 2,048 lines or 1 MB)
     */
    public FileCheck(ObjectMapper json, RecordValidator validator, Stream stream, Settings.Pipeline pipeline,
            ExecutorService pool, int maxInFlight) {
        this.limits = BatchManifest.Cut.of(pipeline);
        // The received date only picks the lake partition of valid contacts and accounts: no part of a check.
        this.check = new RecordCheck(json, validator, stream, LocalDate.now(ZoneOffset.UTC), limits.maxLineBytes());
        this.stream = stream;
        this.pool = pool;
        this.maxInFlight = Math.max(1, maxInFlight);
    }

    /**
     * Reads the whole stream (and closes it). A problem of the file itself (neither gzip nor text, a truncated or
     * corrupt gzip, a gzip bomb) is the outcome's failure reason; an I/O error reading it is thrown.
     */
    public Outcome check(InputStream file, Rejections rejections) throws IOException, InterruptedException {
        Tally tally = new Tally(rejections, stream, new PartsForecast(limits));
        Deque<Future<Chunk>> inFlight = new ArrayDeque<>();
        try (SourceStream source = SourceStream.of(file, () -> closeQuietly(file), -1, limits.maxExpansionRatio(),
                limits.maxZipEntries());
                LineChunks chunks = new LineChunks(source, limits.maxLineBytes(), limits.rejectedRawBytes())) {
            while (hasNext(chunks)) {
                Chunk chunk = chunks.next();
                inFlight.add(pool.submit(() -> {
                    check.check(chunk);
                    return chunk;
                }));
                if (inFlight.size() >= maxInFlight) {
                    tally.add(checked(inFlight.poll()));
                }
            }
            while (!inFlight.isEmpty()) {
                tally.add(checked(inFlight.poll()));
            }
            return tally.outcome(source.archiveEntries());
        } catch (SourceFailure unreadable) {
            // The pipeline keeps nothing of a file it cannot read to its end, whatever its first lines were.
            return new Outcome(0, 0, 0, unreadable.getMessage(), null);
        } catch (StorageReadException reading) {
            // the pipeline's words for a read that failed are about S3; here the file is local
            throw (IOException) reading.getCause();
        } finally {
            for (Future<Chunk> pending : inFlight) {
                pending.cancel(false);
            }
        }
    }

    /**
     * For a sender about to send a file that is neither gzip nor zip: why the service would refuse it whole, judged
     * from its first bytes (at least the first 8 KB, or the whole of a shorter file), as it judges them; null when it
     * is text.
     */
    public static String refusalOfPlain(byte[] head) {
        return SourceStream.looksLikeText(head) ? null : SourceStream.notText(head);
    }

    /** The first bytes {@link #refusalOfPlain} looks at. */
    public static int headBytes() {
        return SourceStream.TEXT_SNIFF_BYTES;
    }

    /**
     * For a sender that gzips a plain file itself: whether the service would refuse the gzip as a bomb, having read
     * {@code compressed} of its bytes and inflated them to {@code inflated} (very repetitive lines compress that well).
     */
    public static boolean inflatesLikeABomb(long inflated, long compressed, long maxExpansionRatio) {
        return SourceStream.inflatesLikeABomb(inflated, compressed, maxExpansionRatio);
    }

    private static boolean hasNext(LineChunks chunks) throws IOException {
        try {
            return chunks.hasNext();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static Chunk checked(Future<Chunk> chunk) throws InterruptedException {
        try {
            return chunk.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("checking a chunk of lines failed", e.getCause());
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // done reading it either way
        }
    }

    /** The checked chunks' verdicts, added up in file order, with the valid records the lake would not take. */
    private static final class Tally {
        private final Rejections rejections;
        private final Stream stream;
        private final PartsForecast parts;
        private long accepted;
        private long rejected;
        private long blank;

        Tally(Rejections rejections, Stream stream, PartsForecast parts) {
            this.rejections = rejections;
            this.stream = stream;
            this.parts = parts;
        }

        void add(Chunk chunk) {
            for (int i = 0; i < chunk.count; i++) {
                switch (chunk.verdict[i]) {
                    case Chunk.VALID -> {
                        if (parts.accepts(chunk.epochDay[i], chunk.length[i])) {
                            accepted++;
                        } else {
                            reject(chunk, i, List.of(parts.allowance().refusal(stream, parts.valid())));
                        }
                    }
                    case Chunk.REJECTED -> reject(chunk, i, chunk.errors[i]);
                    default -> blank++;
                }
            }
        }

        private void reject(Chunk chunk, int i, List<FieldError> errors) {
            rejected++;
            rejections.rejected(chunk.entry, chunk.line[i], errors);
        }

        Outcome outcome(ArchiveEntries entries) {
            return new Outcome(accepted, rejected, blank, null, entries);
        }
    }
}

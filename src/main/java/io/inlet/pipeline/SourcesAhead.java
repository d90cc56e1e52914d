package io.inlet.pipeline;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import io.inlet.storage.BoundedS3Calls;
import io.inlet.storage.Buckets;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Opens a batch's files in manifest order, with the small ones (up to {@link #SMALL_FILE} bytes) already being
 * read: while one file is checked, the next ones, up to {@code budget} bytes, are fetched side by side. A batch
 * of hundreds of upload-json files otherwise waits one S3 round trip per file before it can check a byte. Large
 * files are streamed as always, never held in memory.
 */
final class SourcesAhead implements AutoCloseable {

    static final long SMALL_FILE = 1 << 20;

    private final S3Client s3;
    private final Buckets buckets;
    private final BoundedS3Calls calls;
    private final List<BatchManifest.Source> sources;
    private final Set<Integer> skipped;
    private final long budget;
    private final Map<String, byte[]> alreadyRead;
    private final Map<Integer, CompletableFuture<byte[]>> ahead = new HashMap<>();
    private int nextToFetch;
    private long bytesAhead;

    SourcesAhead(S3Client s3, Buckets buckets, BoundedS3Calls calls, List<BatchManifest.Source> sources,
            Set<Integer> skipped, long budget, Map<String, byte[]> alreadyRead) {
        this.alreadyRead = alreadyRead;
        // Files the planner read count against the same budget: a batch holds at most that much ahead in all.
        alreadyRead.values().forEach(bytes -> bytesAhead += bytes.length);
        this.s3 = s3;
        this.buckets = buckets;
        this.calls = calls;
        this.sources = sources;
        this.skipped = skipped;
        this.budget = budget;
    }

    /**
     * File {@code index} whole, when it is small and read ahead; null when it is to be streamed from S3 (a large
     * file, or one that grew past the small size since the batch was planned).
     */
    byte[] readAhead(int index) throws IOException {
        byte[] read = alreadyRead.remove(sources.get(index).key());
        if (read != null) {
            bytesAhead -= read.length;
            return read;
        }
        fetchAhead();
        CompletableFuture<byte[]> fetched = ahead.remove(index);
        if (fetched == null) {
            return null;
        }
        try {
            return fetched.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw BoundedS3Calls.unwrap(e);
        } finally {
            bytesAhead -= sources.get(index).size();
            fetchAhead();
        }
    }

    private void fetchAhead() {
        while (nextToFetch < sources.size()) {
            int index = nextToFetch;
            long size = sources.get(index).size();
            if (skipped.contains(index) || size > SMALL_FILE || alreadyRead.containsKey(sources.get(index).key())) {
                nextToFetch++;
                continue;
            }
            if (!ahead.isEmpty() && bytesAhead + size > budget) {
                return;
            }
            bytesAhead += size;
            String key = sources.get(index).key();
            ahead.put(index, calls.submit(key, k -> {
                try {
                    return SourceStream.fetch(s3, buckets, k, SMALL_FILE);
                } catch (IOException e) {
                    throw new CompletionException(e);
                }
            }));
            nextToFetch++;
        }
    }

    /** Files read ahead but not used (the batch stopped early) are dropped; their transfers end by themselves. */
    @Override
    public void close() {
        ahead.values().forEach(fetch -> fetch.cancel(false));
        ahead.clear();
    }
}

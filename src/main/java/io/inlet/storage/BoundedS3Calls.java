package io.inlet.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;

/**
 * Runs independent S3 requests side by side, at most as many at once as the pool has threads. At a real S3's
 * 10–30 ms a request, a batch of hundreds of small files spent nearly all its time waiting for one answer after
 * another (status documents, archive copies); the same requests in parallel take a few round trips.
 */
public final class BoundedS3Calls {

    private final ExecutorService pool;

    public BoundedS3Calls(ExecutorService pool) {
        this.pool = pool;
    }

    /** Starts {@code call} for one item; the future fails with what the call threw. */
    public <T, R> CompletableFuture<R> submit(T item, Function<T, R> call) {
        return CompletableFuture.supplyAsync(() -> call.apply(item), pool);
    }

    /** {@code call} for every item, results in the items' order; the first failure is thrown once all ended. */
    public <T, R> List<R> map(List<T> items, Function<T, R> call) {
        List<CompletableFuture<R>> calls = new ArrayList<>(items.size());
        for (T item : items) {
            calls.add(submit(item, call));
        }
        List<R> results = new ArrayList<>(items.size());
        RuntimeException first = null;
        for (CompletableFuture<R> pending : calls) {
            try {
                results.add(pending.join());
            } catch (CompletionException e) {
                if (first == null) {
                    first = unwrap(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
        return results;
    }

    public static RuntimeException unwrap(CompletionException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        if (cause instanceof RuntimeException runtime) {
            return runtime;
        }
        if (cause instanceof IOException io) {
            return new UncheckedIOException(io);
        }
        return new IllegalStateException(cause);
    }
}

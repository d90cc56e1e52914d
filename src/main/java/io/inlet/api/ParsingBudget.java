package io.inlet.api;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import io.inlet.limits.WaitingRoom;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * How many bytes of request bodies may be parsed and checked at once. A JSON tree and its checks take many times
 * the body's size in memory (a 1 MiB body of {@code {}}s: hundreds of MB while its records are checked), and a
 * request keeps its tree until it is answered: sixteen such requests at once ran a 512 MB service out of memory.
 * A request takes its body's size from the budget before it is parsed, waiting its turn for at most the wait, and
 * gives it back when it is answered, whatever the answer. Parsing is CPU-bound, so on a small machine a budget of a
 * few largest bodies costs no throughput; small bodies hardly count against it.
 * <p>
 * One tenant holds at most its share of the budget (half of it, and at least one largest body): its further
 * requests wait in their own line, so a tenant sending large bodies as fast as its rate limits let it cannot make
 * every other tenant's requests wait behind its own. Only a few of them wait ({@link WaitingRoom}); the rest are
 * answered 503 at once, so they do not hold the worker threads every tenant's requests run on either.
 */
public final class ParsingBudget {

    private final Semaphore bytes;
    private final int budget;
    private final int share;
    private final long waitMillis;
    private final Map<String, Semaphore> tenantShares = new ConcurrentHashMap<>();
    private final WaitingRoom waiting;

    /**
     * @param budget bytes of bodies parsed at once; at least one largest body ({@code minimum})
     * @param waitMillis longest a request waits for its turn before a 503
     * @param waiting how many of a tenant's requests may wait for their turn in its share at once (past that: 503)
     */
    public ParsingBudget(long budget, long minimum, long waitMillis, WaitingRoom waiting) {
        if (budget < minimum || budget > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("inlet.http.parsing-bytes must be from " + minimum + " (the largest body) to "
                    + Integer.MAX_VALUE + ", not " + budget);
        }
        this.budget = (int) budget;
        this.share = (int) Math.max(minimum, budget / 2);
        this.bytes = new Semaphore(this.budget, true);
        this.waitMillis = waitMillis;
        this.waiting = waiting;
    }

    /**
     * Takes {@code size} bytes for the exchange until it completes, first from the tenant's share, then from the
     * budget; a 503 if they are not free within the wait.
     */
    void take(Exchange exchange, String tenant, int size) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        Semaphore tenantShare = tenantShares.computeIfAbsent(tenant, t -> new Semaphore(share, true));
        int tenantWeight = Math.max(1, Math.min(size, share));
        int weight = Math.max(1, Math.min(size, budget));
        // A request that cannot go on at once waits on a worker thread every tenant shares: only a few of a tenant's may.
        boolean waits = false;
        try {
            if (!tryNow(tenantShare, tenantWeight)) {
                waits = enterWaiting(tenant);
                if (!acquire(tenantShare, tenantWeight, deadline)) {
                    throw busy("other large requests of this tenant");
                }
            }
            if (!tryNow(bytes, weight)) {
                try {
                    waits = waits || enterWaiting(tenant);
                    if (!acquire(bytes, weight, deadline)) {
                        throw busy("other large requests");
                    }
                } catch (ApiException refused) {
                    tenantShare.release(tenantWeight);
                    throw refused;
                }
            }
        } finally {
            if (waits) {
                waiting.leave(tenant);
            }
        }
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                bytes.release(weight);
                tenantShare.release(tenantWeight);
            }
        });
    }

    /** True once the request may wait (then {@link WaitingRoom#leave} must follow); 503 if too many of its tenant do. */
    private boolean enterWaiting(String tenant) {
        if (!waiting.enter(tenant)) {
            throw busy("other large requests of this tenant (" + waiting.perTenant() + " more already wait)");
        }
        return true;
    }

    /** At once if free and nobody is in line before it (a fair semaphore's timed try keeps the line). */
    private static boolean tryNow(Semaphore semaphore, int weight) {
        return acquire(semaphore, weight, System.nanoTime());
    }

    private static boolean acquire(Semaphore semaphore, int weight, long deadline) {
        try {
            return semaphore.tryAcquire(weight, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static ApiException busy(String what) {
        return new ApiException(503, "Inlet is busy parsing " + what + "; nothing was accepted, retry after 1 s",
                List.of(), Map.of("Retry-After", "1"));
    }
}

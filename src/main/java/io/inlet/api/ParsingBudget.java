package io.inlet.api;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * How many bytes of request bodies may be parsed and checked at once. A JSON tree and its checks take many times
 * the body's size in memory (a 1 MiB body of {@code {}}s: hundreds of MB while its records are checked), and a
 * request keeps its tree until it is answered: sixteen such requests at once ran a 512 MB service out of memory.
 * A request takes its body's size from the budget before it is parsed, waiting its turn for at most the wait, and
 * gives it back when it is answered, whatever the answer. Parsing is CPU-bound, so on a small machine a budget of a
 * few largest bodies costs no throughput; small bodies hardly count against it.
 */
public final class ParsingBudget {

    private final Semaphore bytes;
    private final int budget;
    private final long waitMillis;

    /**
     * @param budget bytes of bodies parsed at once; at least one largest body ({@code minimum})
     * @param waitMillis longest a request waits for its turn before a 503
     */
    public ParsingBudget(long budget, long minimum, long waitMillis) {
        if (budget < minimum || budget > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("inlet.http.parsing-bytes must be from " + minimum + " (the largest body) to "
                    + Integer.MAX_VALUE + ", not " + budget);
        }
        this.budget = (int) budget;
        this.bytes = new Semaphore(this.budget, true);
        this.waitMillis = waitMillis;
    }

    /** Takes {@code size} bytes for the exchange until it completes; a 503 if they are not free within the wait. */
    void take(Exchange exchange, int size) {
        int weight = Math.max(1, Math.min(size, budget));
        boolean taken;
        try {
            taken = bytes.tryAcquire(weight, waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            taken = false;
        }
        if (!taken) {
            throw new ApiException(503, "Inlet is busy parsing other large requests; nothing was accepted, retry after 1 s",
                    List.of(), Map.of("Retry-After", "1"));
        }
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                bytes.release(weight);
            }
        });
    }
}

package io.inlet.limits;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many of one tenant's requests may wait at once for something (their turn to parse, another request with the
 * same Idempotency-Key). A waiting request holds one of the API's worker threads, which every tenant shares: without
 * a bound, one tenant sending requests that must wait as fast as its rate limits let it could hold them all, and
 * every other tenant's requests would queue for a thread. Past the bound a request is answered at once instead.
 */
public final class WaitingRoom {

    private final int perTenant;
    private final ConcurrentHashMap<String, AtomicInteger> waiting = new ConcurrentHashMap<>();

    public WaitingRoom(int perTenant) {
        if (perTenant < 1) {
            throw new IllegalArgumentException("at least one request of a tenant must be let wait, not " + perTenant);
        }
        this.perTenant = perTenant;
    }

    /** Whether one more of the tenant's requests may wait; if so, {@link #leave} must follow. */
    public boolean enter(String tenant) {
        AtomicInteger count = waiting.computeIfAbsent(tenant, t -> new AtomicInteger());
        if (count.incrementAndGet() > perTenant) {
            count.decrementAndGet();
            return false;
        }
        return true;
    }

    public void leave(String tenant) {
        // counters stay (one small object per tenant that ever waited): removing one here could race an enter
        waiting.get(tenant).decrementAndGet();
    }

    /** How many of the tenant's requests wait now. */
    public int waiting(String tenant) {
        AtomicInteger count = waiting.get(tenant);
        return count == null ? 0 : count.get();
    }

    public int perTenant() {
        return perTenant;
    }
}

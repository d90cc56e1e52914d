package io.inlet.pipeline;

import java.util.AbstractQueue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.camel.Exchange;
import org.apache.camel.support.UnitOfWorkHelper;

/**
 * A queue of batches waiting for a worker, taken tenant by tenant in turn: each tenant's batches keep their order,
 * and a tenant with many waiting gets one of them between each other tenant's. Used as a lane's {@code seda} queue
 * ({@code queue=#…}); its workers are the seda consumer's threads. A sender never waits to put a batch in (each lane
 * bounds what waits in its own way); {@link #remainingCapacity()} says so.
 *
 * <p>A lane decides how a batch joins its tenant's line ({@link #offer(Exchange)}, calling {@link #enqueue} with the
 * lock held) and may keep a tenant from taking one for a while ({@link #mayTake}).
 *
 * @param <W> a place in a tenant's line
 */
abstract class TenantTurns<W extends TenantTurns.Waiting> extends AbstractQueue<Exchange> implements BlockingQueue<Exchange> {

    /** A place in a tenant's line; a lane may hand it a newer exchange (the same work announced again). */
    static class Waiting {
        Exchange exchange;

        Waiting(Exchange exchange) {
            this.exchange = exchange;
        }
    }

    protected final ReentrantLock lock = new ReentrantLock();
    /** Signalled whenever a batch may have become takeable. */
    private final Condition takeable = lock.newCondition();
    /** Each tenant's waiting batches, in the order they came. */
    protected final Map<String, ArrayDeque<W>> lines = new HashMap<>();
    /** Tenants with batches waiting, the one whose turn is next first. */
    private final ArrayDeque<String> turns = new ArrayDeque<>();
    private int count;

    /** With the lock held: the batch joins the end of its tenant's line. */
    protected final void enqueue(String tenant, W waiting) {
        ArrayDeque<W> line = lines.computeIfAbsent(tenant, t -> new ArrayDeque<>());
        if (line.isEmpty()) {
            turns.addLast(tenant);
        }
        line.addLast(waiting);
        count++;
        takeable.signalAll();
    }

    /**
     * A batch that joined another leaves the queue without running: whatever is to happen when it completes (the
     * aggregator forgets a batch it handed over only then) happens when the one it joined completes.
     */
    protected static void joinedInto(Exchange dropped, Exchange kept) {
        dropped.getExchangeExtension().handoverCompletions(kept);
    }

    /**
     * A batch let go leaves the queue without running: whatever was to happen when it completed (the aggregator
     * forgetting it) happens now.
     */
    protected static void letGo(Exchange dropped) {
        UnitOfWorkHelper.doneSynchronizations(dropped, dropped.getExchangeExtension().handoverCompletions());
    }

    /** With the lock held: whether a waiting batch of this tenant may go to a worker now. */
    protected boolean mayTake(String tenant) {
        return true;
    }

    /** With the lock held: the batch leaves the queue, to a worker (which runs it next) when {@code byWorker}. */
    protected abstract void taken(String tenant, W waiting, boolean byWorker);

    /** With the lock held: something that kept a batch back has changed. */
    protected final void mayHaveBecomeTakeable() {
        takeable.signalAll();
    }

    /**
     * With the lock held: the first batch of the first tenant in turn that may take one (any tenant's, for a
     * drain); that tenant goes to the end of the turns. Null when none may.
     */
    private Exchange next(boolean byWorker) {
        for (Iterator<String> each = turns.iterator(); each.hasNext(); ) {
            String tenant = each.next();
            if (byWorker && !mayTake(tenant)) {
                continue;
            }
            ArrayDeque<W> line = lines.get(tenant);
            W first = line.pollFirst();
            each.remove();
            if (line.isEmpty()) {
                lines.remove(tenant);
            } else {
                turns.addLast(tenant);
            }
            count--;
            taken(tenant, first, byWorker);
            return first.exchange;
        }
        return null;
    }

    @Override
    public Exchange poll() {
        lock.lock();
        try {
            return next(true);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Exchange take() throws InterruptedException {
        lock.lockInterruptibly();
        try {
            Exchange next;
            while ((next = next(true)) == null) {
                takeable.await();
            }
            return next;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Exchange poll(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lockInterruptibly();
        try {
            Exchange next;
            while ((next = next(true)) == null) {
                if (nanos <= 0) {
                    return null;
                }
                nanos = takeable.awaitNanos(nanos);
            }
            return next;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Exchange peek() {
        lock.lock();
        try {
            return count == 0 ? null : lines.get(turns.peekFirst()).peekFirst().exchange;
        } finally {
            lock.unlock();
        }
    }

    /** Never waits: see {@link #offer(Exchange)}. */
    @Override
    public void put(Exchange exchange) {
        offer(exchange);
    }

    /** Never waits: see {@link #offer(Exchange)}. */
    @Override
    public boolean offer(Exchange exchange, long timeout, TimeUnit unit) {
        return offer(exchange);
    }

    @Override
    public int remainingCapacity() {
        return Integer.MAX_VALUE;
    }

    @Override
    public int drainTo(Collection<? super Exchange> into) {
        return drainTo(into, Integer.MAX_VALUE);
    }

    /** Takes batches in turn whatever {@link #mayTake} says: they leave the lane, not to a worker. */
    @Override
    public int drainTo(Collection<? super Exchange> into, int most) {
        if (into == this) {
            throw new IllegalArgumentException("cannot drain a queue into itself");
        }
        lock.lock();
        try {
            int drained = 0;
            while (count > 0 && drained < most) {
                into.add(next(false));
                drained++;
            }
            return drained;
        } finally {
            lock.unlock();
        }
    }

    /** Empties the queue whatever {@link #mayTake} says (the inherited one polls, as a worker would). */
    @Override
    public void clear() {
        drainTo(new ArrayList<>());
    }

    /** Batches waiting, whether or not their tenants may take one now. */
    @Override
    public int size() {
        lock.lock();
        try {
            return count;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean remove(Object batch) {
        lock.lock();
        try {
            for (Map.Entry<String, ArrayDeque<W>> line : lines.entrySet()) {
                for (Iterator<W> each = line.getValue().iterator(); each.hasNext(); ) {
                    W waiting = each.next();
                    if (waiting.exchange == batch) {
                        each.remove();
                        String tenant = line.getKey();
                        if (line.getValue().isEmpty()) {
                            lines.remove(tenant);
                            turns.remove(tenant);
                        }
                        count--;
                        taken(tenant, waiting, false);
                        return true;
                    }
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** A snapshot, in turn order (tenant by tenant, as if each could take); it cannot remove ({@link #remove} can). */
    @Override
    public Iterator<Exchange> iterator() {
        lock.lock();
        try {
            List<Exchange> inTurn = new ArrayList<>(count);
            Map<String, Iterator<W>> each = new HashMap<>();
            lines.forEach((tenant, line) -> each.put(tenant, new ArrayList<>(line).iterator()));
            List<String> order = new ArrayList<>(turns);
            while (inTurn.size() < count) {
                for (String tenant : order) {
                    Iterator<W> of = each.get(tenant);
                    if (of.hasNext()) {
                        inTurn.add(of.next().exchange);
                    }
                }
            }
            return Collections.unmodifiableList(inTurn).iterator();
        } finally {
            lock.unlock();
        }
    }
}

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
import java.util.function.Function;

import org.apache.camel.Exchange;

/**
 * The queue of large-file batches waiting for a worker, taken tenant by tenant in turn: a tenant's batches keep their
 * order, and a tenant that has queued many large files gets one of them between each other tenant's. First come,
 * first served would hold another tenant's one file back until all of theirs had run (hours for a queue of 2 GB
 * files). Used as the {@code seda} queue of the large lane ({@code queue=#largeFileTurns}).
 */
public final class LargeFileTurns extends AbstractQueue<Exchange> implements BlockingQueue<Exchange> {

    private final int capacity;
    private final Function<Exchange, String> tenantOf;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    /** Each tenant's waiting batches, in the order they came. */
    private final Map<String, ArrayDeque<Exchange>> byTenant = new HashMap<>();
    /** Tenants with batches waiting, the one whose turn is next first. */
    private final ArrayDeque<String> turns = new ArrayDeque<>();
    private int count;

    public LargeFileTurns(int capacity, Function<Exchange, String> tenantOf) {
        this.capacity = capacity;
        this.tenantOf = tenantOf;
    }

    @Override
    public boolean offer(Exchange exchange) {
        lock.lock();
        try {
            if (count >= capacity) {
                return false;
            }
            String tenant = tenantOf.apply(exchange);
            ArrayDeque<Exchange> waiting = byTenant.computeIfAbsent(tenant, t -> new ArrayDeque<>());
            if (waiting.isEmpty()) {
                turns.addLast(tenant);
            }
            waiting.addLast(exchange);
            count++;
            notEmpty.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Exchange poll() {
        lock.lock();
        try {
            return count == 0 ? null : next();
        } finally {
            lock.unlock();
        }
    }

    /** With the lock held and something waiting: the next tenant's first batch; that tenant goes to the end. */
    private Exchange next() {
        String tenant = turns.pollFirst();
        ArrayDeque<Exchange> waiting = byTenant.get(tenant);
        Exchange exchange = waiting.pollFirst();
        if (waiting.isEmpty()) {
            byTenant.remove(tenant);
        } else {
            turns.addLast(tenant);
        }
        count--;
        notFull.signal();
        return exchange;
    }

    @Override
    public Exchange peek() {
        lock.lock();
        try {
            return count == 0 ? null : byTenant.get(turns.peekFirst()).peekFirst();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void put(Exchange exchange) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (count >= capacity) {
                notFull.await();
            }
            offer(exchange);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean offer(Exchange exchange, long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lockInterruptibly();
        try {
            while (count >= capacity) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = notFull.awaitNanos(nanos);
            }
            return offer(exchange);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Exchange take() throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (count == 0) {
                notEmpty.await();
            }
            return next();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Exchange poll(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lockInterruptibly();
        try {
            while (count == 0) {
                if (nanos <= 0) {
                    return null;
                }
                nanos = notEmpty.awaitNanos(nanos);
            }
            return next();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int remainingCapacity() {
        lock.lock();
        try {
            return capacity - count;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int drainTo(Collection<? super Exchange> into) {
        return drainTo(into, Integer.MAX_VALUE);
    }

    @Override
    public int drainTo(Collection<? super Exchange> into, int most) {
        if (into == this) {
            throw new IllegalArgumentException("cannot drain a queue into itself");
        }
        lock.lock();
        try {
            int drained = 0;
            while (count > 0 && drained < most) {
                into.add(next());
                drained++;
            }
            return drained;
        } finally {
            lock.unlock();
        }
    }

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
            for (Map.Entry<String, ArrayDeque<Exchange>> waiting : byTenant.entrySet()) {
                if (waiting.getValue().remove(batch)) {
                    if (waiting.getValue().isEmpty()) {
                        byTenant.remove(waiting.getKey());
                        turns.remove(waiting.getKey());
                    }
                    count--;
                    notFull.signal();
                    return true;
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** A snapshot, in the order the batches would be taken; it cannot remove ({@link #remove(Object)} can). */
    @Override
    public Iterator<Exchange> iterator() {
        lock.lock();
        try {
            List<Exchange> inTurn = new ArrayList<>(count);
            Map<String, Iterator<Exchange>> each = new HashMap<>();
            byTenant.forEach((tenant, waiting) -> each.put(tenant, new ArrayList<>(waiting).iterator()));
            List<String> order = new ArrayList<>(turns);
            while (inTurn.size() < count) {
                for (String tenant : order) {
                    Iterator<Exchange> of = each.get(tenant);
                    if (of.hasNext()) {
                        inTurn.add(of.next());
                    }
                }
            }
            return Collections.unmodifiableList(inTurn).iterator();
        } finally {
            lock.unlock();
        }
    }
}

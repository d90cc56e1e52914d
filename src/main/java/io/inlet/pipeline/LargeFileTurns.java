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
import java.util.function.BinaryOperator;
import java.util.function.Function;

import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue of large-file batches waiting for a worker, taken tenant by tenant in turn: a tenant's batches keep their
 * order, and a tenant that has queued many large files gets one of them between each other tenant's. First come,
 * first served would hold another tenant's one file back until all of theirs had run (hours for a queue of 2 GB
 * files). Used as the {@code seda} queue of the large lane ({@code queue=#largeFileTurns}).
 *
 * <p>It never makes a sender wait: the senders are the thread that hands out every tenant's gathered batches, the
 * sweep, and small-batch workers passing on a batch that outgrew their lane; one of them blocked behind a tenant's
 * large files would hold up everyone's small batches. An announced file already waiting is not queued twice (its
 * message, not kept invisible, comes back every visibility timeout while it waits): the newer announcement takes
 * the older one's place and turn, carrying it along. Past {@code fileCapacity} waiting files a further announced file
 * is let go (logged): its message comes back after its visibility timeout, to this or another instance, and the inbox
 * reconciliation finds it regardless. A sealed batch (a manifest) is always taken: it cannot come back by itself,
 * and there are never more of them than batches this instance sealed or took over.
 */
public final class LargeFileTurns extends AbstractQueue<Exchange> implements BlockingQueue<Exchange> {

    private static final Logger LOG = LoggerFactory.getLogger(LargeFileTurns.class);

    private final int fileCapacity;
    private final Function<Exchange, String> tenantOf;
    private final Function<Exchange, String> fileOf;
    private final BinaryOperator<Exchange> announcedAgain;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    /** Each tenant's waiting batches, in the order they came. */
    private final Map<String, ArrayDeque<Waiting>> byTenant = new HashMap<>();
    /** Tenants with batches waiting, the one whose turn is next first. */
    private final ArrayDeque<String> turns = new ArrayDeque<>();
    /** The announced files waiting, by key. */
    private final Map<String, Waiting> files = new HashMap<>();
    private int count;

    /** A place in a tenant's line; an announcement of the same file again takes it over. */
    private static final class Waiting {
        Exchange exchange;
        final String file;

        Waiting(Exchange exchange, String file) {
            this.exchange = exchange;
            this.file = file;
        }
    }

    /**
     * @param fileCapacity announced files that may wait here; sealed batches are not counted
     * @param tenantOf     whose batch an exchange is
     * @param fileOf       the inbox key of an announced file, null for a sealed batch
     * @param announcedAgain of the waiting announcement of a file and a newer one, what waits from now on
     */
    public LargeFileTurns(int fileCapacity, Function<Exchange, String> tenantOf, Function<Exchange, String> fileOf,
            BinaryOperator<Exchange> announcedAgain) {
        this.fileCapacity = fileCapacity;
        this.tenantOf = tenantOf;
        this.fileOf = fileOf;
        this.announcedAgain = announcedAgain;
    }

    /** Always true: the batch waits its turn, took an earlier announcement's place, or was let go (see above). */
    @Override
    public boolean offer(Exchange exchange) {
        String file = fileOf.apply(exchange);
        lock.lock();
        try {
            if (file != null) {
                Waiting earlier = files.get(file);
                if (earlier != null) {
                    earlier.exchange = announcedAgain.apply(earlier.exchange, exchange);
                    return true;
                }
                if (files.size() >= fileCapacity) {
                    LOG.warn("{} large files wait for this instance's large-file workers already; {} is not queued here "
                            + "(its message comes back after its visibility timeout)", files.size(), file);
                    return true;
                }
            }
            Waiting waiting = new Waiting(exchange, file);
            if (file != null) {
                files.put(file, waiting);
            }
            String tenant = tenantOf.apply(exchange);
            ArrayDeque<Waiting> line = byTenant.computeIfAbsent(tenant, t -> new ArrayDeque<>());
            if (line.isEmpty()) {
                turns.addLast(tenant);
            }
            line.addLast(waiting);
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
        ArrayDeque<Waiting> line = byTenant.get(tenant);
        Waiting first = line.pollFirst();
        if (line.isEmpty()) {
            byTenant.remove(tenant);
        } else {
            turns.addLast(tenant);
        }
        taken(first);
        return first.exchange;
    }

    @Override
    public Exchange peek() {
        lock.lock();
        try {
            return count == 0 ? null : byTenant.get(turns.peekFirst()).peekFirst().exchange;
        } finally {
            lock.unlock();
        }
    }

    /** Never waits (see above). */
    @Override
    public void put(Exchange exchange) {
        offer(exchange);
    }

    /** Never waits (see above). */
    @Override
    public boolean offer(Exchange exchange, long timeout, TimeUnit unit) {
        return offer(exchange);
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
        return Integer.MAX_VALUE;
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
            for (Map.Entry<String, ArrayDeque<Waiting>> line : byTenant.entrySet()) {
                for (Iterator<Waiting> each = line.getValue().iterator(); each.hasNext(); ) {
                    Waiting waiting = each.next();
                    if (waiting.exchange == batch) {
                        each.remove();
                        if (line.getValue().isEmpty()) {
                            byTenant.remove(line.getKey());
                            turns.remove(line.getKey());
                        }
                        taken(waiting);
                        return true;
                    }
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    private void taken(Waiting waiting) {
        if (waiting.file != null) {
            files.remove(waiting.file);
        }
        count--;
    }

    /** A snapshot, in the order the batches would be taken; it cannot remove ({@link #remove(Object)} can). */
    @Override
    public Iterator<Exchange> iterator() {
        lock.lock();
        try {
            List<Exchange> inTurn = new ArrayList<>(count);
            Map<String, Iterator<Exchange>> each = new HashMap<>();
            byTenant.forEach((tenant, line) -> each.put(tenant, line.stream().map(w -> w.exchange).toList().iterator()));
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

package io.inlet.pipeline;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.ToIntFunction;

import org.apache.camel.Exchange;

/**
 * The queue of small batches waiting for a small-batch worker, taken tenant by tenant in turn ({@link TenantTurns})
 * and with a share: a tenant never has more than {@code share} of the workers (all but one of them), so however
 * many heavy batches one tenant has (a batch of 64 MB of ordinary gzip is a minute of work), another tenant's batch
 * finds a worker at once. The worker kept free stays idle while one tenant alone has work: what the share costs.
 * Used as the {@code seda} queue of the small lane ({@code queue=#smallBatchTurns}).
 *
 * <p>Nobody waits to put a batch in: the threads that complete gathered batches (the aggregator's timer, the queue
 * consumers) and the sweep serve every tenant, and one tenant's batch holding them would hold up everyone's. A gathered batch joins its tenant's last waiting batch when
 * the two fit in one batch ({@code joined}), so a backlog waits as few, full batches. What waits is bounded where
 * messages are received instead: a queue consumer calls {@link #awaitRoom} before planning a message, and waits while
 * {@code filesCapacity} gathered files wait here (their messages kept invisible); the rest of a backlog stays on the
 * queue, for any instance.
 *
 * <p>A worker runs one batch at a time on its own thread, start to end (the pipeline's routes are synchronous): when
 * it asks for its next batch, its previous one has finished, and its tenant's place on the workers is given back.
 * Nothing has to remember to give it back, whichever way the batch ended.
 */
public final class SmallBatchTurns extends TenantTurns<SmallBatchTurns.Batch> {

    private final int share;
    private final int filesCapacity;
    private final Function<Exchange, String> tenantOf;
    private final ToIntFunction<Exchange> gatheredFilesOf;
    private final BiPredicate<Exchange, Exchange> joined;
    /** Batches running per tenant; only tenants with one. */
    private final Map<String, Integer> running = new HashMap<>();
    /** Whose batch each worker thread runs. */
    private final Map<Thread, String> workers = new HashMap<>();
    private final Condition room = lock.newCondition();
    private int waitingFiles;

    /** A place in a tenant's line, with the gathered (unsealed) files it holds; none for a sealed batch. */
    static final class Batch extends TenantTurns.Waiting {
        int files;

        Batch(Exchange exchange, int files) {
            super(exchange);
            this.files = files;
        }
    }

    /**
     * @param workers         the small-batch workers: a tenant may have all but one of them (all of one)
     * @param filesCapacity   gathered files that may wait before the queue consumers wait for room
     * @param tenantOf        whose batch an exchange is
     * @param gatheredFilesOf the gathered files an exchange carries; 0 for a sealed batch (a manifest)
     * @param joined          whether a gathered batch's files joined a waiting one's (false when they do not fit)
     */
    public SmallBatchTurns(int workers, int filesCapacity, Function<Exchange, String> tenantOf,
            ToIntFunction<Exchange> gatheredFilesOf, BiPredicate<Exchange, Exchange> joined) {
        this.share = Math.max(1, workers - 1);
        this.filesCapacity = filesCapacity;
        this.tenantOf = tenantOf;
        this.gatheredFilesOf = gatheredFilesOf;
        this.joined = joined;
    }

    /** Always true: the batch joins its tenant's line, or the last gathered batch in it. */
    @Override
    public boolean offer(Exchange exchange) {
        String tenant = tenantOf.apply(exchange);
        int files = gatheredFilesOf.applyAsInt(exchange);
        lock.lock();
        try {
            ArrayDeque<Batch> line = lines.get(tenant);
            Batch last = line == null ? null : line.peekLast();
            if (files > 0 && last != null && last.files > 0 && joined.test(last.exchange, exchange)) {
                last.files += files;
            } else {
                enqueue(tenant, new Batch(exchange, files));
            }
            waitingFiles += files;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns once fewer than {@code filesCapacity} gathered files wait: a queue consumer calls it before planning the
     * message it received, so that it receives no more while the small-batch workers are behind.
     */
    public void awaitRoom() throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (waitingFiles >= filesCapacity) {
                room.await();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    protected boolean mayTake(String tenant) {
        return running.getOrDefault(tenant, 0) < share;
    }

    @Override
    protected void workerAsks() {
        String previous = workers.remove(Thread.currentThread());
        if (previous != null) {
            running.computeIfPresent(previous, (tenant, batches) -> batches == 1 ? null : batches - 1);
            mayHaveBecomeTakeable();
        }
    }

    @Override
    protected void taken(String tenant, Batch batch, boolean byWorker) {
        waitingFiles -= batch.files;
        room.signalAll();
        if (byWorker) {
            running.merge(tenant, 1, Integer::sum);
            workers.put(Thread.currentThread(), tenant);
        }
    }
}

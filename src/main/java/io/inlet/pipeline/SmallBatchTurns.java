package io.inlet.pipeline;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.function.Function;

import org.apache.camel.Exchange;
import org.apache.camel.spi.SynchronizationVetoable;

/**
 * The queue of small batches waiting for a small-batch worker, taken tenant by tenant in turn ({@link TenantTurns})
 * and with a share: a tenant never has more than {@code share} of the workers (all but one of them), so however
 * many heavy batches one tenant has (a batch of 64 MB of ordinary gzip is a minute of work), it leaves a worker to
 * the others. The worker it leaves stays idle while that tenant alone has work: what the share costs. Used as the
 * {@code seda} queue of the small lane ({@code queue=#smallBatchTurns}).
 *
 * <p>Nobody waits to put a batch in: the threads that complete gathered batches (the aggregator's timer, the queue
 * consumers) and the sweep serve every tenant, and one tenant's batch holding them would hold up everyone's. A
 * gathered batch joins its tenant's last waiting batch when the two fit in one batch ({@code joined}), so a backlog
 * waits as few, full batches. What waits is bounded where messages are received instead: the queue consumers do not
 * poll while {@link #hasRoom} is false ({@link ReceiveWhileSmallLaneHasRoom}); the rest of a backlog stays on the
 * queue, for any instance.
 *
 * <p>A tenant's place on the workers is given back when the exchange of its batch completes, however it ended (a
 * batch passed on to the large lane gives it back here, when its small-lane run ends).
 */
public final class SmallBatchTurns extends TenantTurns<SmallBatchTurns.Batch> {

    /** What a batch waiting here holds of received, unsealed files (their messages kept invisible meanwhile). */
    public record Gathered(int files, long bytes) {
        /** A sealed batch (a manifest): its messages are acknowledged already. */
        public static final Gathered NONE = new Gathered(0, 0);
    }

    private final int share;
    private final int filesCapacity;
    private final long bytesCapacity;
    private final Function<Exchange, String> tenantOf;
    private final Function<Exchange, Gathered> gatheredOf;
    private final BiPredicate<Exchange, Exchange> joined;
    /** Batches running per tenant; only tenants with one. */
    private final Map<String, Integer> running = new HashMap<>();
    private int waitingFiles;
    private long waitingBytes;

    /** A place in a tenant's line, with the gathered files it holds. */
    static final class Batch extends TenantTurns.Waiting {
        int files;
        long bytes;

        Batch(Exchange exchange, Gathered gathered) {
            super(exchange);
            this.files = gathered.files();
            this.bytes = gathered.bytes();
        }
    }

    /**
     * @param workers       the small-batch workers: a tenant may have all but one of them (all of one)
     * @param filesCapacity gathered files that may wait before the queue consumers stop receiving
     * @param bytesCapacity gathered bytes (as stored) that may wait before the queue consumers stop receiving
     * @param tenantOf      whose batch an exchange is
     * @param gatheredOf    the gathered files an exchange carries; {@link Gathered#NONE} for a sealed batch
     * @param joined        whether a gathered batch's files joined a waiting one's (false when they do not fit)
     */
    public SmallBatchTurns(int workers, int filesCapacity, long bytesCapacity, Function<Exchange, String> tenantOf,
            Function<Exchange, Gathered> gatheredOf, BiPredicate<Exchange, Exchange> joined) {
        this.share = Math.max(1, workers - 1);
        this.filesCapacity = filesCapacity;
        this.bytesCapacity = bytesCapacity;
        this.tenantOf = tenantOf;
        this.gatheredOf = gatheredOf;
        this.joined = joined;
    }

    /** Always true: the batch joins its tenant's line, or the last gathered batch in it. */
    @Override
    public boolean offer(Exchange exchange) {
        String tenant = tenantOf.apply(exchange);
        Gathered gathered = gatheredOf.apply(exchange);
        lock.lock();
        try {
            ArrayDeque<Batch> line = lines.get(tenant);
            Batch last = line == null ? null : line.peekLast();
            if (gathered.files() > 0 && last != null && last.files > 0 && joined.test(last.exchange, exchange)) {
                joinedInto(exchange, last.exchange);
                last.files += gathered.files();
                last.bytes += gathered.bytes();
            } else {
                enqueue(tenant, new Batch(exchange, gathered));
            }
            waitingFiles += gathered.files();
            waitingBytes += gathered.bytes();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Whether fewer gathered files, and bytes, wait here than the capacities: the queue consumers may receive more. */
    public boolean hasRoom() {
        lock.lock();
        try {
            return waitingFiles < filesCapacity && waitingBytes < bytesCapacity;
        } finally {
            lock.unlock();
        }
    }

    @Override
    protected boolean mayTake(String tenant) {
        return running.getOrDefault(tenant, 0) < share;
    }

    @Override
    protected void taken(String tenant, Batch batch, boolean byWorker) {
        waitingFiles -= batch.files;
        waitingBytes -= batch.bytes;
        if (byWorker) {
            running.merge(tenant, 1, Integer::sum);
            batch.exchange.getExchangeExtension().addOnCompletion(new PlaceGivenBack(tenant));
        }
    }

    private void giveBack(String tenant) {
        lock.lock();
        try {
            running.computeIfPresent(tenant, (t, batches) -> batches == 1 ? null : batches - 1);
            mayHaveBecomeTakeable();
        } finally {
            lock.unlock();
        }
    }

    /** Gives a tenant's place on the workers back when the batch's exchange completes, with success or not. */
    private final class PlaceGivenBack implements SynchronizationVetoable {
        private final String tenant;

        PlaceGivenBack(String tenant) {
            this.tenant = tenant;
        }

        /** Not handed to a copy sent on (to the large lane): the place is this lane's, for this run. */
        @Override
        public boolean allowHandover() {
            return false;
        }

        @Override
        public void beforeHandover(Exchange target) {
        }

        @Override
        public void onComplete(Exchange exchange) {
            giveBack(tenant);
        }

        @Override
        public void onFailure(Exchange exchange) {
            giveBack(tenant);
        }
    }
}

package io.inlet.pipeline;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
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
 * gathered batch joins its tenant's last waiting batch when the two fit in one batch, so a backlog waits as few, full
 * batches. A file announced again while it waits here (the inbox reconciliation announces a file unclaimed for long,
 * another instance's too) is not gathered twice: the new announcement goes with the waiting one, whose batch settles
 * both. What waits is bounded where messages are received instead: the queue consumers do not poll while
 * {@link #hasRoom} is false ({@link ReceiveWhileSmallLaneHasRoom}); the rest of a backlog stays on the queue, for any
 * instance.
 *
 * <p>A tenant's place on the workers is given back when the exchange of its batch completes, however it ended (a
 * batch passed on to the large lane gives it back here, when its small-lane run ends).
 */
public final class SmallBatchTurns extends TenantTurns<SmallBatchTurns.Batch> {

    /**
     * How often the consumers may receive while tenants at their share fill the room ({@link #mayProbe}): ten
     * messages a time, 50 a second scanned for other tenants' (at one a second a backlog of 500 hid them for a minute).
     */
    static final long PROBE_INTERVAL_NANOS = 200_000_000L;

    private final int workers;
    private final int share;
    private long lastProbe = System.nanoTime() - PROBE_INTERVAL_NANOS;
    private final int maxSources;
    private final long maxBytes;
    private final int filesCapacity;
    private final long bytesCapacity;
    private final Function<Exchange, String> tenantOf;
    private final Function<Exchange, List<Announced>> gatheredOf;
    private final Consumer<List<Announced>> release;
    /** Batches running per tenant; only tenants with one. */
    private final Map<String, Integer> running = new HashMap<>();
    /** The gathered files waiting, by key, and the batch each waits in. */
    private final Map<String, Batch> waiting = new HashMap<>();
    private long waitingBytes;
    /** Gathered files and bytes waiting per tenant; only tenants with some. */
    private final Map<String, long[]> waitingOfTenant = new HashMap<>();
    /** Tenants whose files were sent back since one of their batches last left the line. */
    private final Set<String> full = new HashSet<>();

    /** A place in a tenant's line: a sealed batch (a manifest), or gathered files (their messages held meanwhile). */
    static final class Batch extends TenantTurns.Waiting {
        /** The announcements the batch settles when it is sealed; null for a sealed batch. */
        final List<Announced> gathered;
        /** The distinct files among them, and their bytes as stored. */
        int files;
        long bytes;

        Batch(Exchange exchange, List<Announced> gathered) {
            super(exchange);
            this.gathered = gathered;
        }
    }

    /**
     * @param workers    the small-batch workers: a tenant may have all but one of them (all of one)
     * @param maxSources files in one batch: gathered batches join while together they have no more; and as many files
     *                   per worker may wait before the queue consumers stop receiving
     * @param maxBytes   bytes (as stored) in one batch, the same way
     * @param tenantOf   whose batch an exchange is
     * @param gatheredOf the announcements a gathered batch carries (a list it may add to); null for a sealed batch
     * @param release    announcements not kept here (their messages are to come back later)
     */
    public SmallBatchTurns(int workers, int maxSources, long maxBytes, Function<Exchange, String> tenantOf,
            Function<Exchange, List<Announced>> gatheredOf, Consumer<List<Announced>> release) {
        this.workers = workers;
        this.share = Math.max(1, workers - 1);
        this.maxSources = maxSources;
        this.maxBytes = maxBytes;
        this.filesCapacity = maxSources * workers;
        this.bytesCapacity = maxBytes * workers;
        this.tenantOf = tenantOf;
        this.gatheredOf = gatheredOf;
        this.release = release;
    }

    /**
     * Always true: the batch joins its tenant's line, or the last gathered batch in it; files already waiting go with
     * the batch they wait in.
     */
    @Override
    public boolean offer(Exchange exchange) {
        String tenant = tenantOf.apply(exchange);
        List<Announced> announced = gatheredOf.apply(exchange);
        lock.lock();
        try {
            if (announced == null) {
                enqueue(tenant, new Batch(exchange, null));
                return true;
            }
            ArrayDeque<Batch> line = lines.get(tenant);
            Batch last = line == null ? null : line.peekLast();
            Batch into = last != null && last.gathered != null ? last : null;
            Batch waitingAlready = null;
            Set<String> fresh = new HashSet<>();
            long freshBytes = 0;
            for (Announced each : announced) {
                Batch holder = waiting.get(each.file().key());
                if (holder != null) {
                    waitingAlready = holder;
                } else if (fresh.add(each.file().key())) {
                    freshBytes += Math.max(0, each.file().size());
                }
            }
            if (!fresh.isEmpty() && keepsOthersOut(tenant, fresh.size(), freshBytes)) {
                // a tenant whose batches fill its share of the workers does not fill the room as well: the consumers
                // would stop receiving, and the worker kept for the other tenants would wait idle for as long as this
                // one's batches run. Its new files go back to the queue (their messages come back after their
                // visibility timeout, to any instance); those waiting already go with their batch.
                List<Announced> back = new ArrayList<>();
                for (Announced each : announced) {
                    Batch holder = waiting.get(each.file().key());
                    if (holder != null) {
                        holder.gathered.add(each);
                    } else {
                        back.add(each);
                    }
                }
                release.accept(back);
                // no more receiving for it but the probes, until one of its batches goes to a worker: a batch window
                // gathers more than the little room left, and each would go back at the consumers' full speed
                full.add(tenant);
                if (waitingAlready != null) {
                    joinedInto(exchange, waitingAlready.exchange);
                } else {
                    letGo(exchange);
                }
                return true;
            }
            Batch batch;
            if (fresh.isEmpty()) {
                batch = waitingAlready;
            } else if (into != null && into.files + fresh.size() <= maxSources && into.bytes + freshBytes <= maxBytes) {
                batch = into;
            } else {
                batch = new Batch(exchange, new ArrayList<>());
                // its body is what it settles: without the files that went with batches they wait in
                exchange.getMessage().setBody(batch.gathered);
                enqueue(tenant, batch);
            }
            if (batch.exchange != exchange) {
                joinedInto(exchange, batch.exchange);
            }
            for (Announced each : announced) {
                waiting.computeIfAbsent(each.file().key(), key -> batch).gathered.add(each);
            }
            batch.files += fresh.size();
            batch.bytes += freshBytes;
            waitingBytes += freshBytes;
            long[] ofTenant = waitingOfTenant.computeIfAbsent(tenant, t -> new long[2]);
            ofTenant[0] += fresh.size();
            ofTenant[1] += freshBytes;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * With the lock held: whether {@code files} more of this tenant would leave less than a batch of room for the
     * others while the tenant's batches fill its share (its own waiting files cannot go to a worker before one of them
     * ends). A tenant with nothing waiting always gets its batch in, as one that may take a worker does.
     */
    private boolean keepsOthersOut(String tenant, int files, long bytes) {
        long[] ofTenant = waitingOfTenant.get(tenant);
        // one worker: none is kept for the others, and the backlog waits on the queue as the room fills
        return workers > 1 && ofTenant != null && running.getOrDefault(tenant, 0) >= share
                && (ofTenant[0] + files > filesCapacity - maxSources || ofTenant[1] + bytes > bytesCapacity - maxBytes);
    }

    /** Whether fewer gathered files, and bytes, wait here than the capacities: the queue consumers may receive more. */
    public boolean hasRoom() {
        lock.lock();
        try {
            return waiting.size() < filesCapacity && waitingBytes < bytesCapacity && !atShareFillTheirRoom();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether the queue consumers may receive once although there is no room ({@link #hasRoom} false): at most once
     * a {@link #PROBE_INTERVAL_NANOS}, while a worker is idle. That worker is kept for tenants other than those whose
     * batches fill their share, and their messages may be on the queue behind the backlog of those: what a probe
     * receives of the latter goes back ({@link #keepsOthersOut}), the others' batches go to the idle worker.
     */
    public boolean mayProbe() {
        lock.lock();
        try {
            long now = System.nanoTime();
            int runningBatches = running.values().stream().mapToInt(Integer::intValue).sum();
            if (workers == 1 || runningBatches >= workers || now - lastProbe < PROBE_INTERVAL_NANOS) {
                return false;
            }
            lastProbe = now;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * With the lock held: whether a tenant whose batches fill its share has as many files waiting as it may
     * ({@link #keepsOthersOut}): receiving more would only send its files back to the queue, again and again.
     */
    private boolean atShareFillTheirRoom() {
        if (!full.isEmpty()) {
            return true;
        }
        for (Map.Entry<String, long[]> tenant : waitingOfTenant.entrySet()) {
            if (keepsOthersOut(tenant.getKey(), 1, 0)) {
                return true;
            }
        }
        return false;
    }

    @Override
    protected boolean mayTake(String tenant) {
        return running.getOrDefault(tenant, 0) < share;
    }

    @Override
    protected void taken(String tenant, Batch batch, boolean byWorker) {
        full.remove(tenant);
        if (batch.gathered != null) {
            batch.gathered.forEach(each -> waiting.remove(each.file().key()));
            waitingBytes -= batch.bytes;
            long[] ofTenant = waitingOfTenant.get(tenant);
            if (ofTenant != null) {
                ofTenant[0] -= batch.files;
                ofTenant[1] -= batch.bytes;
                if (ofTenant[0] <= 0) {
                    waitingOfTenant.remove(tenant);
                }
            }
        }
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

package io.inlet.pipeline;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BinaryOperator;
import java.util.function.Function;

import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue of large-file batches waiting for a worker, taken tenant by tenant in turn ({@link TenantTurns}): first
 * come, first served would hold another tenant's one file back until all of a tenant's queued files had run (hours
 * for a queue of 2 GB files). Used as the {@code seda} queue of the large lane ({@code queue=#largeFileTurns}).
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
public final class LargeFileTurns extends TenantTurns<LargeFileTurns.Announcement> {

    private static final Logger LOG = LoggerFactory.getLogger(LargeFileTurns.class);

    private final int fileCapacity;
    private final Function<Exchange, String> tenantOf;
    private final Function<Exchange, String> fileOf;
    private final BinaryOperator<Exchange> announcedAgain;
    /** The announced files waiting, by key. */
    private final Map<String, Announcement> files = new HashMap<>();

    /** A place in a tenant's line; an announcement of the same file again takes it over. */
    static final class Announcement extends TenantTurns.Waiting {
        /** The announced file's key; null for a sealed batch. */
        final String file;

        Announcement(Exchange exchange, String file) {
            super(exchange);
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
        String tenant = tenantOf.apply(exchange);
        lock.lock();
        try {
            if (file != null) {
                Announcement earlier = files.get(file);
                if (earlier != null) {
                    Exchange kept = announcedAgain.apply(earlier.exchange, exchange);
                    joinedInto(kept == exchange ? earlier.exchange : exchange, kept);
                    earlier.exchange = kept;
                    return true;
                }
                if (files.size() >= fileCapacity) {
                    LOG.warn("{} large files wait for this instance's large-file workers already; {} is not queued here "
                            + "(its message comes back after its visibility timeout)", files.size(), file);
                    letGo(exchange);
                    return true;
                }
            }
            Announcement waiting = new Announcement(exchange, file);
            if (file != null) {
                files.put(file, waiting);
            }
            enqueue(tenant, waiting);
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    protected void taken(String tenant, Announcement waiting, boolean byWorker) {
        if (waiting.file != null) {
            files.remove(waiting.file);
        }
    }
}

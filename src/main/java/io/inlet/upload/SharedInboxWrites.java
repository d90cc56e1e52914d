package io.inlet.upload;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.inlet.idempotency.IdempotentUploads;
import io.inlet.ops.LogContext;
import io.inlet.queue.InboxFile;
import io.inlet.queue.WorkQueue;
import io.inlet.storage.FileKey;
import io.inlet.storage.InboxWrites;
import io.inlet.storage.SharedInboxObject;
import org.apache.camel.Exchange;
import org.apache.camel.component.aws2.s3.AWS2S3Constants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * upload-json's inbox write, as a group commit: a batch that arrives while another batch of the same tenant and
 * stream is being written waits for that write, then goes into the next inbox object together with every batch
 * that waited with it ({@link SharedInboxObject}). Alone, a batch is written at once under its own key, as a file
 * of its own; under load, one S3 PUT (and everything the pipeline does per inbox object) serves many batches. Each
 * request is answered only once the object holding its batch is stored.
 *
 * <p>A write first gathers, for at most the gathering time, as many batches as were under way when the lane's
 * previous write ended (the batches in it and those waiting for it). Senders that send again as soon as they are
 * answered come back a few milliseconds apart (their requests are parsed and checked one after the other): without
 * the gathering the first one back is written alone, the others wait a whole write for it, and from then on two groups
 * take turns, each sender waiting two writes a batch. A lone sender (one batch under way) is never held, nor is a
 * batch that finds its lane free for longer than the gathering time.
 *
 * <p>A batch sent with an Idempotency-Key is always written alone, under the key its idempotency record names.
 */
public final class SharedInboxWrites {

    private static final Logger LOG = LoggerFactory.getLogger(SharedInboxWrites.class);

    private static final Object LEAD = new Object();

    private final InboxWrites inboxWrites;
    private final WorkQueue queue;
    private final int maxBatches;
    private final long maxBytes;
    private final long gatherNanos;
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();

    /** The batches of one tenant and stream waiting for the write under way to end. */
    private static final class Lane {
        final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
        long waitingBytes;
        boolean writing;
        /** Batches under way when the lane's previous write ended: how many the next write gathers for. */
        int underWay = 1;
        /** When the lane last went free (System.nanoTime). */
        long freedAt = System.nanoTime();
    }

    /** A batch waiting: {@code turn} completes with its stored file key, its write's failure, or {@link #LEAD}. */
    private record Waiting(FileKey prepared, byte[] jsonl, long records, CompletableFuture<Object> turn) {
    }

    /**
     * @param maxBatches most batches in one object (1: every batch alone), at most {@link SharedInboxObject#MAX_BATCHES}
     * @param maxBytes   most bytes in one object; a batch larger than this still goes, alone
     * @param gatherMillis longest a write waits for as many batches as its lane's previous write saw (0: never)
     */
    public SharedInboxWrites(InboxWrites inboxWrites, WorkQueue queue, int maxBatches, long maxBytes, long gatherMillis) {
        if (maxBatches < 1 || maxBatches > SharedInboxObject.MAX_BATCHES) {
            throw new IllegalArgumentException("inlet.upload-json.shared.max-batches must be from 1 to "
                    + SharedInboxObject.MAX_BATCHES + ", not " + maxBatches);
        }
        if (gatherMillis < 0 || gatherMillis > 1_000) {
            throw new IllegalArgumentException("inlet.upload-json.shared.gather-ms must be from 0 to 1000, not " + gatherMillis);
        }
        this.gatherNanos = TimeUnit.MILLISECONDS.toNanos(gatherMillis);
        this.inboxWrites = inboxWrites;
        this.queue = queue;
        this.maxBatches = maxBatches;
        this.maxBytes = maxBytes;
    }

    /**
     * Route step: stores the body (the batch as JSONL, its prepared key in the S3 key header) in the inbox, alone or
     * shared, and leaves the file key it was stored under in the exchange (log context, S3 key header). Returns
     * only once it is stored; throws what the write threw.
     */
    public void store(Exchange exchange) {
        long records = exchange.getProperty(UploadJson.RECORDS, Long.class);
        FileKey prepared = FileKey.parse(exchange.getMessage().getHeader(AWS2S3Constants.KEY, String.class)).orElseThrow();
        byte[] jsonl = exchange.getMessage().getBody(byte[].class);
        String stored;
        if (maxBatches == 1 || IdempotentUploads.hasKey(exchange)) {
            put(prepared, Map.of(), jsonl, IdempotentUploads.hasKey(exchange));
            stored = prepared.key();
        } else {
            stored = storeShared(new Waiting(prepared, jsonl, records, new CompletableFuture<>()));
        }
        FileKey key = FileKey.parse(stored).orElseThrow();
        LogContext.file(exchange, key);
        exchange.getMessage().setHeader(AWS2S3Constants.KEY, stored);
    }

    private String storeShared(Waiting batch) {
        Lane lane = lanes.computeIfAbsent(batch.prepared().tenant() + "/" + batch.prepared().stream().wireName(),
                name -> new Lane());
        synchronized (lane) {
            lane.waiting.add(batch);
            lane.waitingBytes += batch.jsonl().length;
            if (!lane.writing) {
                if (System.nanoTime() - lane.freedAt > gatherNanos) {
                    lane.underWay = 1; // free for longer than a sender takes to come back: the last group is gone
                }
                lane.writing = true;
                batch.turn().complete(LEAD);
            } else {
                lane.notifyAll(); // its leader may be gathering
            }
        }
        Object outcome;
        try {
            outcome = batch.turn().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        if (outcome != LEAD) {
            return (String) outcome;
        }
        return lead(lane, batch);
    }

    /** This batch is first in its lane: writes it with those that wait behind it, then hands the lane on. */
    private String lead(Lane lane, Waiting self) {
        List<Waiting> group = new ArrayList<>();
        try {
            synchronized (lane) {
                gather(lane);
                long bytes = 0;
                while (!lane.waiting.isEmpty() && group.size() < maxBatches) {
                    Waiting next = lane.waiting.peek();
                    if (!group.isEmpty() && bytes + next.jsonl().length > maxBytes) {
                        break;
                    }
                    bytes += next.jsonl().length;
                    lane.waitingBytes -= next.jsonl().length;
                    group.add(lane.waiting.poll());
                }
            }
            if (group.isEmpty() || group.get(0) != self) {
                // the lane is handed to the batch at its head, which therefore heads the group it takes
                throw new IllegalStateException("a batch led a group it was not first in");
            }
            List<String> keys = write(group);
            for (int i = 1; i < group.size(); i++) {
                group.get(i).turn().complete(keys.get(i));
            }
            return keys.get(0);
        } catch (RuntimeException | Error e) {
            for (Waiting other : group) {
                if (other != self) {
                    other.turn().completeExceptionally(e);
                }
            }
            throw e;
        } finally {
            // whatever happened, the lane goes on: to the next batch waiting, or free
            synchronized (lane) {
                lane.underWay = group.size() + lane.waiting.size();
                Waiting next = lane.waiting.peek();
                if (next == null) {
                    lane.writing = false;
                    lane.freedAt = System.nanoTime();
                } else {
                    next.turn().complete(LEAD);
                }
            }
        }
    }

    /**
     * Under the lane's lock: waits, at most the gathering time, until as many batches wait as were under way when the
     * lane's previous write ended (or the object would be full). An interrupt (only at shutdown) ends the wait and
     * stays set, so the S3 client refuses the write and every batch in it fails.
     */
    private void gather(Lane lane) {
        int expected = Math.min(lane.underWay, maxBatches);
        long deadline = System.nanoTime() + gatherNanos;
        while (lane.waiting.size() < expected && lane.waitingBytes < maxBytes) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(lane, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The group's file keys, in group order, once its object is stored (the leader, {@code group[0]}, is in it). */
    private List<String> write(List<Waiting> group) {
        if (group.size() == 1) {
            put(group.get(0).prepared(), Map.of(), group.get(0).jsonl(), false);
            return List.of(group.get(0).prepared().key());
        }
        FileKey first = group.get(0).prepared();
        // the first batch's minute: the object's key sorts with its batches' keys
        FileKey object = new FileKey(first.stream(), first.source(), first.tenant(), first.dt(),
                UUID.randomUUID().toString(), first.extension());
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        List<SharedInboxObject.Batch> batches = new ArrayList<>(group.size());
        List<String> keys = new ArrayList<>(group.size());
        for (int i = 0; i < group.size(); i++) {
            Waiting batch = group.get(i);
            body.writeBytes(batch.jsonl());
            batches.add(new SharedInboxObject.Batch(batch.records(), batch.jsonl().length));
            keys.add(SharedInboxObject.batchKey(object, i + 1).key());
        }
        byte[] bytes = body.toByteArray();
        put(object, Map.of(SharedInboxObject.METADATA, SharedInboxObject.encode(batches)), bytes, false);
        return keys;
    }

    /**
     * Stored once (never twice, whatever S3's answers), then announced on the work queue (in the background).
     * {@code keyed}: a batch sent with an Idempotency-Key, whose key another request with the same key and body may
     * have written first (one that took the key over from a stalled first request, or that stalled one, late).
     */
    private void put(FileKey key, Map<String, String> metadata, byte[] jsonl, boolean keyed) {
        boolean stored;
        try {
            stored = inboxWrites.put(key.key(), "application/jsonl", metadata, jsonl);
        } catch (InterruptedException stopping) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("The service is stopping: the inbox write of " + key.key()
                    + " was not confirmed", stopping);
        }
        if (!stored) {
            if (!keyed) {
                // its id is new: only this write could have stored it
                throw new IllegalStateException("Another write holds the new inbox key " + key.key());
            }
            LOG.info("Inbox key {} was written by another request with the same Idempotency-Key and body first", key);
        }
        queue.announce(new InboxFile(key.key(), jsonl.length, true));
    }
}

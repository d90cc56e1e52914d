package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Small batches are taken tenant by tenant in turn and no tenant has every worker; a worker asking for its next batch
 * gives its tenant's place back; nobody waits to put a batch in, gathered batches of a tenant join while they fit, and
 * the queue consumers wait for room once enough files wait.
 */
class SmallBatchTurnsTest {

    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final List<ExecutorService> threads = new ArrayList<>();

    @AfterEach
    void stopWorkers() {
        threads.forEach(ExecutorService::shutdownNow);
    }

    @Test
    void aTenantNeverHasEveryWorkerAndGetsItsPlaceBackWhenAWorkerAsksAgain() throws Exception {
        SmallBatchTurns turns = turns(3, 1000);
        for (String batch : List.of("a1", "a2", "a3")) {
            turns.put(sealed(batch));
        }
        Worker first = new Worker(turns);
        Worker second = new Worker(turns);
        Worker third = new Worker(turns);

        assertThat(first.next()).isEqualTo("a1");
        assertThat(second.next()).isEqualTo("a2");
        // tenant a has two of the three workers: a3 waits, although the third worker is idle
        assertThat(third.next()).isNull();
        assertThat(turns.size()).isOne();
        // which another tenant's batch finds at once
        turns.put(sealed("b1"));
        assertThat(third.next()).isEqualTo("b1");
        // a worker that asks again has finished its batch: a's place is given back, and a3 goes to that worker
        assertThat(first.next()).isEqualTo("a3");
        turns.put(sealed("a4"));
        assertThat(third.next()).isNull(); // b's batch finished; a still has a2 and a3 running
        assertThat(second.next()).isEqualTo("a4");
    }

    @Test
    void theWorkerKeptFreeWaitsForAnotherTenantsBatchAndTakesItAsItComes() throws Exception {
        SmallBatchTurns turns = turns(2, 1000);
        turns.put(sealed("a1"));
        turns.put(sealed("a2"));
        Worker first = new Worker(turns);
        Worker second = new Worker(turns);
        assertThat(first.next()).isEqualTo("a1");

        CompletableFuture<String> waiting = second.nextWithin(10_000);
        Thread.sleep(200);
        assertThat(waiting).isNotDone();
        turns.put(sealed("b1"));
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isEqualTo("b1");
    }

    @Test
    void oneWorkerServesEveryTenantInTurn() throws Exception {
        SmallBatchTurns turns = turns(1, 1000);
        for (String batch : List.of("a1", "a2", "b1", "c1", "b2")) {
            turns.put(sealed(batch));
        }
        Worker only = new Worker(turns);
        List<String> taken = new ArrayList<>();
        for (String next = only.next(); next != null; next = only.next()) {
            taken.add(next);
        }
        assertThat(taken).containsExactly("a1", "b1", "c1", "a2", "b2");
    }

    @Test
    void gatheredBatchesOfATenantJoinTheLastWaitingOneWhileTheyFitAndSealedOnesNever() throws Exception {
        SmallBatchTurns turns = turns(2, 1000);
        turns.put(gathered("a", 3));
        turns.put(gathered("a", 4));
        turns.put(gathered("b", 1));
        turns.put(gathered("a", 4)); // 11 files would be over the test's 10
        turns.put(sealed("a9"));
        turns.put(gathered("a", 2)); // after a sealed batch: a line of its own

        assertThat(names(turns.iterator())).containsExactly("a:7", "b:1", "a:4", "a9", "a:2");
        assertThat(turns.remainingCapacity()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void theConsumersWaitForRoomOnceEnoughGatheredFilesWaitAndNobodyWaitsToPutOneIn() throws Exception {
        SmallBatchTurns turns = turns(2, 10);
        turns.put(gathered("a", 6));
        turns.put(gathered("b", 3));
        Worker consumer = new Worker(turns);
        assertThat(consumer.awaitsRoom().get(5, TimeUnit.SECONDS)).isTrue(); // 9 of 10

        turns.put(sealed("a9")); // sealed batches hold no message: not counted
        turns.put(gathered("b", 5)); // put in although it goes over
        CompletableFuture<Boolean> room = consumer.awaitsRoom();
        Thread.sleep(200);
        assertThat(room).isNotDone();

        Worker worker = new Worker(turns);
        assertThat(worker.next()).isEqualTo("a:6"); // 8 files left waiting
        assertThat(room.get(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void drainingAndRemovingLeaveNoPlaceTaken() throws Exception {
        SmallBatchTurns turns = turns(2, 1000);
        Exchange a1 = sealed("a1");
        turns.put(a1);
        turns.put(sealed("a2"));
        turns.put(sealed("b1"));
        assertThat(turns.remove(a1)).isTrue();
        List<Exchange> drained = new ArrayList<>();
        assertThat(turns.drainTo(drained)).isEqualTo(2);
        assertThat(names(drained.iterator())).containsExactly("a2", "b1");

        turns.put(sealed("a3"));
        assertThat(new Worker(turns).next()).isEqualTo("a3"); // a has nothing running: its one place is free
    }

    /** Joins while together they hold at most 10 files; files are the "files" header, 0 for a sealed batch. */
    private static SmallBatchTurns turns(int workers, int filesCapacity) {
        return new SmallBatchTurns(workers, filesCapacity, e -> e.getMessage().getHeader("tenant", String.class),
                e -> e.getMessage().getHeader("files", 0, Integer.class), (waiting, next) -> {
                    int files = waiting.getMessage().getHeader("files", Integer.class)
                            + next.getMessage().getHeader("files", Integer.class);
                    if (files > 10) {
                        return false;
                    }
                    waiting.getMessage().setHeader("files", files);
                    return true;
                });
    }

    private Exchange sealed(String name) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setHeader("tenant", name.substring(0, 1));
        exchange.getMessage().setBody(name);
        return exchange;
    }

    private Exchange gathered(String tenant, int files) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setHeader("tenant", tenant);
        exchange.getMessage().setHeader("files", files);
        return exchange;
    }

    private static List<String> names(Iterator<Exchange> exchanges) {
        List<String> names = new ArrayList<>();
        exchanges.forEachRemaining(e -> {
            Integer files = e.getMessage().getHeader("files", Integer.class);
            names.add(files == null ? e.getMessage().getBody(String.class)
                    : e.getMessage().getHeader("tenant") + ":" + files);
        });
        return names;
    }

    /** A worker thread of its own, as each seda consumer thread is. */
    private final class Worker {
        private final SmallBatchTurns turns;
        private final ExecutorService thread = Executors.newSingleThreadExecutor();

        Worker(SmallBatchTurns turns) {
            this.turns = turns;
            threads.add(thread);
        }

        String next() throws Exception {
            return nextWithin(0).get(5, TimeUnit.SECONDS);
        }

        CompletableFuture<String> nextWithin(long millis) {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    Exchange next = turns.poll(millis, TimeUnit.MILLISECONDS);
                    return next == null ? null : names(List.of(next).iterator()).get(0);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, thread);
        }

        CompletableFuture<Boolean> awaitsRoom() {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    turns.awaitRoom();
                    return true;
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, thread);
        }
    }
}

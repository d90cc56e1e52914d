package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.inlet.queue.InboxFile;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/**
 * Small batches are taken tenant by tenant in turn and no tenant has every worker; a batch gives its tenant's place
 * back when its run ends, however it ends; nobody waits to put a batch in, gathered batches of a tenant join while
 * they fit, and the queue consumers may receive while fewer files and bytes wait than the capacities.
 */
class SmallBatchTurnsTest {

    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final List<Announced> released = new ArrayList<>();
    private int filesMade;

    @Test
    void aTenantNeverHasEveryWorkerAndGetsItsPlaceBackWhenItsBatchCompletes() {
        SmallBatchTurns turns = turns(3, 1000);
        Map<String, Exchange> batches = put(turns, "a1", "a2", "a3");

        assertThat(name(turns.poll())).isEqualTo("a1");
        assertThat(name(turns.poll())).isEqualTo("a2");
        // tenant a has two of the three workers: a3 waits, although a worker is idle
        assertThat(turns.poll()).isNull();
        assertThat(turns.size()).isOne();
        // which another tenant's batch finds at once
        put(turns, "b1");
        assertThat(name(turns.poll())).isEqualTo("b1");
        Completions.run(batches.get("a1"));
        assertThat(name(turns.poll())).isEqualTo("a3");
        // a batch that failed gives its place back too
        batches.putAll(put(turns, "a4"));
        assertThat(turns.poll()).isNull();
        batches.get("a2").setException(new IllegalStateException("S3 unreachable"));
        Completions.run(batches.get("a2"));
        assertThat(name(turns.poll())).isEqualTo("a4");
    }

    @Test
    void theWorkerKeptFreeWaitsForAnotherTenantsBatchAndTakesItAsItComes() throws Exception {
        SmallBatchTurns turns = turns(2, 1000);
        put(turns, "a1", "a2");
        assertThat(name(turns.poll())).isEqualTo("a1");

        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return name(turns.poll(10, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(200);
        assertThat(waiting).isNotDone();
        put(turns, "b1");
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isEqualTo("b1");
    }

    @Test
    void oneWorkerServesEveryTenantInTurn() {
        SmallBatchTurns turns = turns(1, 1000);
        put(turns, "a1", "a2", "b1", "c1", "b2");
        List<String> taken = new ArrayList<>();
        for (Exchange next = turns.poll(); next != null; next = turns.poll()) {
            taken.add(name(next));
            Completions.run(next);
        }
        assertThat(taken).containsExactly("a1", "b1", "c1", "a2", "b2");
    }

    @Test
    void gatheredBatchesOfATenantJoinTheLastWaitingOneWhileTheyFitAndSealedOnesNever() {
        SmallBatchTurns turns = turns(2, 10);
        turns.put(gathered("a", 3));
        Exchange joining = gathered("a", 4);
        List<String> completed = new ArrayList<>();
        Completions.recordedAs(joining, completed, "the joining batch's");
        turns.put(joining);
        turns.put(gathered("b", 1));
        turns.put(gathered("a", 4)); // 11 files would be over a batch's 10
        turns.put(sealed("a9"));
        turns.put(gathered("a", 2)); // after a sealed batch: a line of its own

        assertThat(names(turns.iterator())).containsExactly("a:7", "b:1", "a:4", "a9", "a:2");
        assertThat(turns.remainingCapacity()).isEqualTo(Integer.MAX_VALUE);
        // what was to happen when the joining batch completed happens when the batch it joined does
        Exchange first = turns.poll();
        assertThat(completed).isEmpty();
        Completions.run(first);
        assertThat(completed).containsExactly("the joining batch's");
    }

    @Test
    void theConsumersMayReceiveWhileFewerGatheredFilesAndBytesWaitThanABatchPerWorker() {
        // 5 files and 500 bytes a batch, two workers: 10 files and 1,000 bytes may wait
        SmallBatchTurns turns = turns(2, 5);
        turns.put(gathered("a", 4, 100));
        turns.put(gathered("b", 3, 100));
        assertThat(turns.hasRoom()).as("7 files, 700 bytes").isTrue();
        turns.put(sealed("a9")); // a sealed batch holds no message: not counted
        assertThat(turns.hasRoom()).isTrue();
        turns.put(gathered("c", 3, 0)); // put in although it fills the room: nobody waits to put one in
        assertThat(turns.hasRoom()).as("10 files").isFalse();
        assertThat(name(turns.poll())).isEqualTo("a:4");
        assertThat(turns.hasRoom()).as("6 files, 300 bytes").isTrue();

        turns.put(gathered("d", 1, 800));
        assertThat(turns.hasRoom()).as("7 files, 1,100 bytes").isFalse();
        assertThat(name(turns.poll())).isEqualTo("b:3");
        assertThat(turns.hasRoom()).as("4 files, 800 bytes").isTrue();
    }

    /**
     * A tenant whose batches fill its share filled the room too: the consumers stopped receiving, and the worker kept
     * for the others waited idle as long as that tenant's batches ran (a minute and more).
     */
    @Test
    void aTenantAtItsShareLeavesABatchOfRoomForTheOthers() {
        // 3 workers (a tenant may have 2), 2 files a batch: 6 files may wait, a tenant at its share 4 of them
        SmallBatchTurns turns = turns(3, 2);
        put(turns, "a1", "a2");
        turns.poll();
        turns.poll();
        for (int i = 0; i < 4; i++) {
            turns.put(gathered("a", 1, 0));
        }
        assertThat(released).isEmpty();
        List<String> completed = new ArrayList<>();
        Exchange fifth = gathered("a", 1, 0);
        Completions.recordedAs(fifth, completed, "the fifth's");
        turns.put(fifth);

        // its message goes back to the queue, and what was to happen when it completed happens now
        assertThat(released).extracting(each -> each.file().key()).containsExactly(keys(fifth).get(0));
        assertThat(completed).containsExactly("the fifth's");
        // no receiving that would only send a's files back, but a receive now and then for the others' messages
        assertThat(turns.hasRoom()).as("a has all the room it may have").isFalse();
        assertThat(turns.mayProbe()).as("a worker is idle").isTrue();
        assertThat(turns.mayProbe()).as("within the interval").isFalse();
        turns.put(gathered("b", 2, 0));
        assertThat(name(turns.poll())).as("the worker kept for the others").isEqualTo("b:2");
        assertThat(turns.mayProbe()).as("no worker idle").isFalse();
    }

    /**
     * A batch window gathers more than the little room a tenant at its share has left: the whole of it goes back, and
     * receiving must stop there (one more file would fit), or the next window's would go back too, at full speed.
     */
    @Test
    void aTenantWhoseFilesWentBackIsReceivedForOnlyByProbesUntilOneOfItsBatchesLeaves() {
        SmallBatchTurns turns = turns(3, 2); // a tenant at its share may have 4 files waiting
        put(turns, "a1", "a2");
        turns.poll();
        turns.poll();
        turns.put(gathered("a", 2, 0));
        turns.put(gathered("a", 1, 0));
        assertThat(turns.hasRoom()).as("3 of a's 4").isTrue();
        turns.put(gathered("a", 2, 0));

        assertThat(released).hasSize(2);
        assertThat(turns.hasRoom()).as("a's files went back; one more would fit").isFalse();
        turns.put(gathered("b", 1, 0));
        assertThat(name(turns.poll())).isEqualTo("b:1");
        assertThat(turns.hasRoom()).isFalse();
        turns.drainTo(new ArrayList<>(), 1); // one of a's batches leaves the line
        assertThat(turns.hasRoom()).isTrue();
    }

    @Test
    void aFileAnnouncedAgainWhileItWaitsGoesWithItsBatchAndTakesNoRoom() {
        SmallBatchTurns turns = turns(2, 3); // 3 files a batch, 6 may wait
        Exchange first = gathered("a", "f1", "f2", "f3");
        Exchange second = gathered("a", "f4");
        turns.put(first);
        turns.put(second);

        // the reconciliation (or another instance) announces f1 and f2 again: they go with the batch they wait in,
        // and the new f5 joins the last batch, where it fits
        Exchange again = gathered("a", "f2", "f5", "f1");
        Exchange alone = gathered("a", "f3"); // a copy alone: no batch of its own
        List<String> completed = new ArrayList<>();
        Completions.recordedAs(again, completed, "the copies'");
        Completions.recordedAs(alone, completed, "the lone copy's");
        turns.put(again);
        turns.put(alone);
        assertThat(names(turns.iterator())).containsExactly("a:3", "a:2");
        turns.put(gathered("b", "g1"));
        assertThat(turns.hasRoom()).as("6 files wait, however often announced").isFalse();

        // the batch a file waits in settles every announcement of it (the seal acknowledges each message's share)
        Exchange taken = turns.poll();
        assertThat(taken).isSameAs(first);
        assertThat(keys(taken)).containsExactly("f1", "f2", "f3", "f2", "f1", "f3");
        assertThat(turns.hasRoom()).as("3 files").isTrue();
        assertThat(name(turns.poll())).isEqualTo("b:1");
        // what was to happen when a joining exchange completed happens when the batch it joined does
        Completions.run(taken);
        assertThat(completed).containsExactly("the lone copy's");

        // once its batch has gone to a worker, a file announced again waits anew (its seal finds it claimed)
        turns.put(gathered("a", "f1"));
        Exchange last = turns.poll();
        assertThat(last).isSameAs(second);
        assertThat(keys(last)).containsExactly("f4", "f5", "f1");
        Completions.run(last);
        assertThat(completed).containsExactly("the lone copy's", "the copies'");
    }

    @Test
    void clearingDrainingAndRemovingEmptyTheQueueWhateverTheShares() {
        SmallBatchTurns turns = turns(2, 1000);
        Map<String, Exchange> batches = put(turns, "a1", "a2", "a3", "b1");
        assertThat(name(turns.poll())).isEqualTo("a1"); // a is at its share
        turns.clear();
        assertThat(turns.size()).isZero();

        batches.putAll(put(turns, "a4", "a5", "b2"));
        assertThat(turns.remove(batches.get("a4"))).isTrue();
        List<Exchange> drained = new ArrayList<>();
        assertThat(turns.drainTo(drained)).isEqualTo(2);
        assertThat(names(drained.iterator())).containsExactly("a5", "b2");
        // neither gave a a place: once a1 completes, a's next batch goes to a worker
        put(turns, "a6");
        assertThat(turns.poll()).isNull();
        Completions.run(batches.get("a1"));
        assertThat(name(turns.poll())).isEqualTo("a6");

        // gathered files leave with their batches: their room is free, and announced again they wait anew
        SmallBatchTurns small = turns(1, 2);
        small.put(gathered("c", "c1", "c2"));
        assertThat(small.hasRoom()).isFalse();
        small.clear();
        assertThat(small.hasRoom()).isTrue();
        Exchange again = gathered("c", "c1");
        small.put(again);
        assertThat(small.poll()).isSameAs(again);
        assertThat(small.hasRoom()).isTrue();
    }

    /** The Camel side: a worker's batch ends, passed on to another queue or stopped by force, and gives its place back. */
    @Test
    void runOnSedaWorkersATenantsPlaceComesBackWhenTheRunEndsHoweverItEnds() throws Exception {
        SmallBatchTurns turns = turns(2, 1000);
        CountDownLatch release = new CountDownLatch(1);
        List<String> ran = new CopyOnWriteArrayList<>();
        camel.getRegistry().bind("turns", turns);
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("seda:small?queue=#turns&pollTimeout=50&concurrentConsumers=2").routeId("small")
                        .process(e -> ran.add(name(e)))
                        .filter(simple("${body} == 'slow'"))
                            .process(e -> Thread.sleep(1500))
                        .end()
                        .to("seda:elsewhere");
                // the copy sent on waits until the end of the test
                from("seda:elsewhere").routeId("elsewhere").process(e -> release.await());
            }
        });
        camel.start();
        try {
            put(turns, "a1");
            awaitRan(ran, "a1");
            put(turns, "a2");
            // a1's copy is still running elsewhere (its completions went with it, as seda hands them over), and a has
            // one place: it came back when a1's run here ended
            awaitRan(ran, "a2");

            put(turns, "slow");
            awaitRan(ran, "slow");
            camel.getRouteController().stopRoute("small", 200, TimeUnit.MILLISECONDS);
            camel.getRouteController().startRoute("small");
            put(turns, "s2");
            awaitRan(ran, "s2"); // the run stopped by force ended after the stop, and gave its place back then
        } finally {
            release.countDown();
            camel.stop();
        }
    }

    private static void awaitRan(List<String> ran, String batch) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!ran.contains(batch)) {
            assertThat(System.nanoTime()).as("%s ran", batch).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private Map<String, Exchange> put(SmallBatchTurns turns, String... names) {
        Map<String, Exchange> put = new HashMap<>();
        for (String name : names) {
            Exchange batch = sealed(name);
            turns.put(batch);
            put.put(name, batch);
        }
        return put;
    }

    /** {@code maxSources} files and 500 bytes a batch; a sealed batch's tenant is the "tenant" header. */
    private SmallBatchTurns turns(int workers, int maxSources) {
        return new SmallBatchTurns(workers, maxSources, 500, e -> e.getMessage().getHeader("tenant", String.class),
                PipelineRoutes::gatheredOf, released::addAll);
    }

    private Exchange sealed(String name) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setHeader("tenant", name.substring(0, 1));
        exchange.getMessage().setBody(name);
        return exchange;
    }

    private Exchange gathered(String tenant, int files) {
        return gathered(tenant, files, 0);
    }

    /** A gathered batch of new files, each of {@code bytes}. */
    private Exchange gathered(String tenant, int files, long bytes) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            keys.add(tenant + "-file-" + ++filesMade);
        }
        return gathered(tenant, bytes, keys.toArray(String[]::new));
    }

    private Exchange gathered(String tenant, String... keys) {
        return gathered(tenant, 0, keys);
    }

    /** Announced as one queue message, as the inbox-queue route gathers them. */
    private Exchange gathered(String tenant, long bytes, String... keys) {
        Announced.Delivery message = new Announced.Delivery("receipt-" + ++filesMade, keys.length);
        List<Announced> files = new ArrayList<>();
        for (String key : keys) {
            files.add(new Announced(new InboxFile(key, bytes), tenant, message));
        }
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setHeader("tenant", tenant);
        exchange.getMessage().setBody(files);
        return exchange;
    }

    private static List<String> keys(Exchange gathered) {
        return PipelineRoutes.gatheredOf(gathered).stream().map(a -> a.file().key()).toList();
    }

    private static String name(Exchange exchange) {
        return exchange == null ? null : names(List.of(exchange).iterator()).get(0);
    }

    private static List<String> names(Iterator<Exchange> exchanges) {
        List<String> names = new ArrayList<>();
        exchanges.forEachRemaining(e -> names.add(PipelineRoutes.gatheredOf(e) == null ? e.getMessage().getBody(String.class)
                : e.getMessage().getHeader("tenant") + ":" + keys(e).stream().distinct().count()));
        return names;
    }
}

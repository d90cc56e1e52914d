package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.inlet.queue.InboxFile;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/**
 * Large-file batches are taken tenant by tenant in turn, each tenant's in the order they came; nobody waits to put
 * one in, a file announced again keeps its place, and past the capacity announced files are let go.
 */
class LargeFileTurnsTest {

    private final DefaultCamelContext camel = new DefaultCamelContext();

    @Test
    void tenantsTakeTurnsAndEachTenantsBatchesKeepTheirOrder() throws Exception {
        LargeFileTurns turns = turns(10);
        for (String batch : List.of("a1", "a2", "a3", "b1", "a4", "c1", "b2")) {
            assertThat(turns.offer(batch(batch))).isTrue();
        }

        assertThat(names(turns.iterator())).containsExactly("a1", "b1", "c1", "a2", "b2", "a3", "a4");
        List<String> taken = new ArrayList<>();
        while (!turns.isEmpty()) {
            taken.add(turns.take().getMessage().getBody(String.class));
        }
        assertThat(taken).containsExactly("a1", "b1", "c1", "a2", "b2", "a3", "a4");
        assertThat(turns.poll(10, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void aFileAnnouncedAgainTakesTheEarlierAnnouncementsPlace() throws Exception {
        LargeFileTurns turns = turns(10);
        Exchange announced = file("a1", "first");
        List<String> completed = new ArrayList<>();
        Completions.recordedAs(announced, completed, "the earlier announcement's");
        turns.put(announced);
        turns.put(file("b1", "first"));
        turns.put(file("a2", "first"));
        turns.put(file("a1", "again"));

        assertThat(turns.size()).isEqualTo(3);
        Exchange first = turns.take();
        assertThat(first.getMessage().getBody(String.class)).isEqualTo("a1");
        assertThat(first.getMessage().getHeader("delivery")).isEqualTo("again");
        assertThat(first.getMessage().getHeader("earlier")).isEqualTo("first");
        // what was to happen when the earlier announcement completed (the aggregator forgetting it) happens now
        Completions.run(first);
        assertThat(completed).containsExactly("the earlier announcement's");
        // taken, the file can be queued again (its message came back after the batch ran, say)
        turns.put(file("a1", "later"));
        assertThat(names(turns.iterator())).containsExactly("b1", "a2", "a1");
    }

    @Test
    void aMessageAnnouncingAWaitingFileTwiceIsSettledByTheOneBatchThatRuns() throws Exception {
        // as the large lane is built: whose batch and which file from the gathered announcements
        LargeFileTurns turns = new LargeFileTurns(10, PipelineRoutes::tenantOfBatch, PipelineRoutes::announcedFileOf,
                PipelineRoutes::announcedAgain);
        Announced.Delivery message = new Announced.Delivery("receipt", 2);
        InboxFile file = new InboxFile("data/tenants/objects/contact_event/source_system=s/tenant=t/dt=2025-01-01-00-00/f.jsonl.gz",
                100_000_000);
        turns.put(gathered(new Announced(file, "t", message)));
        turns.put(gathered(new Announced(file, "t", message)));

        assertThat(turns.size()).isOne();
        @SuppressWarnings("unchecked")
        List<Announced> waiting = turns.take().getMessage().getBody(List.class);
        // sealing settles every announcement it gathered: the message is acknowledged with the second
        assertThat(waiting).hasSize(2);
        assertThat(waiting.get(0).delivery().settle()).isFalse();
        assertThat(waiting.get(1).delivery().settle()).isTrue();
    }

    private Exchange gathered(Announced announced) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setBody(new ArrayList<>(List.of(announced)));
        return exchange;
    }

    @Test
    void pastItsCapacityAnnouncedFilesAreLetGoAndNobodyWaits() throws Exception {
        LargeFileTurns turns = turns(2);
        turns.put(file("a1", "first"));
        turns.put(file("b1", "first"));

        // neither waits: the third file is let go (its message comes back), a sealed batch is always taken
        Exchange letGo = file("a2", "first");
        List<String> completed = new ArrayList<>();
        Completions.recordedAs(letGo, completed, "the file let go");
        assertThat(turns.offer(letGo, 1, TimeUnit.HOURS)).isTrue();
        // what was to happen when it completed (the aggregator forgetting it) happened as it was let go
        assertThat(completed).containsExactly("the file let go");
        turns.put(batch("c1"));
        assertThat(turns.remainingCapacity()).isEqualTo(Integer.MAX_VALUE);
        assertThat(names(turns.iterator())).containsExactly("a1", "b1", "c1");
        assertThat(turns.poll().getMessage().getBody(String.class)).isEqualTo("a1");
        turns.put(file("a2", "first"));
        assertThat(names(turns.iterator())).containsExactly("b1", "c1", "a2");
    }

    @Test
    void aBatchCanBeTakenOutOfItsTurn() {
        LargeFileTurns turns = turns(10);
        Exchange a1 = batch("a1");
        turns.offer(a1);
        turns.offer(batch("b1"));
        turns.offer(batch("a2"));

        assertThat(turns.remove(a1)).isTrue();
        assertThat(turns.remove(a1)).isFalse();
        assertThat(names(turns.iterator())).containsExactly("a2", "b1");
        assertThat(turns.size()).isEqualTo(2);
    }

    private static LargeFileTurns turns(int fileCapacity) {
        return new LargeFileTurns(fileCapacity, e -> e.getMessage().getHeader("tenant", String.class),
                e -> e.getMessage().getHeader("file", String.class), (waiting, again) -> {
                    again.getMessage().setHeader("earlier", waiting.getMessage().getHeader("delivery"));
                    return again;
                });
    }

    /** An announced file (it has a key). */
    private Exchange file(String name, String delivery) {
        Exchange exchange = batch(name);
        exchange.getMessage().setHeader("file", name);
        exchange.getMessage().setHeader("delivery", delivery);
        return exchange;
    }

    /** A sealed batch (no file key). */
    private Exchange batch(String name) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getMessage().setHeader("tenant", name.substring(0, 1));
        exchange.getMessage().setBody(name);
        return exchange;
    }

    private static List<String> names(Iterator<Exchange> exchanges) {
        List<String> names = new ArrayList<>();
        exchanges.forEachRemaining(e -> names.add(e.getMessage().getBody(String.class)));
        return names;
    }
}

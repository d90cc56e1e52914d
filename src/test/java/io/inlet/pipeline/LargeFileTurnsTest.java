package io.inlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/** Large-file batches are taken tenant by tenant in turn, each tenant's in the order they came, within a capacity. */
class LargeFileTurnsTest {

    private final DefaultCamelContext camel = new DefaultCamelContext();

    @Test
    void tenantsTakeTurnsAndEachTenantsBatchesKeepTheirOrder() throws Exception {
        LargeFileTurns turns = new LargeFileTurns(10, e -> e.getMessage().getHeader("tenant", String.class));
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
    void aFullQueueRefusesUntilABatchIsTaken() throws Exception {
        LargeFileTurns turns = new LargeFileTurns(2, e -> e.getMessage().getHeader("tenant", String.class));
        turns.put(batch("a1"));
        turns.put(batch("b1"));

        assertThat(turns.offer(batch("a2"))).isFalse();
        assertThat(turns.offer(batch("a2"), 10, TimeUnit.MILLISECONDS)).isFalse();
        assertThat(turns.remainingCapacity()).isZero();
        assertThat(turns.poll().getMessage().getBody(String.class)).isEqualTo("a1");
        assertThat(turns.offer(batch("a2"))).isTrue();
        assertThat(turns.size()).isEqualTo(2);
    }

    @Test
    void aBatchCanBeTakenOutOfItsTurn() {
        LargeFileTurns turns = new LargeFileTurns(10, e -> e.getMessage().getHeader("tenant", String.class));
        Exchange a1 = batch("a1");
        turns.offer(a1);
        turns.offer(batch("b1"));
        turns.offer(batch("a2"));

        assertThat(turns.remove(a1)).isTrue();
        assertThat(turns.remove(a1)).isFalse();
        assertThat(names(turns.iterator())).containsExactly("a2", "b1");
        assertThat(turns.size()).isEqualTo(2);
    }

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

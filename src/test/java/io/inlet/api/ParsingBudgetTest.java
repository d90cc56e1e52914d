package io.inlet.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.inlet.limits.WaitingRoom;
import io.inlet.testing.Await;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.Synchronization;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Bodies parsed at once stay within the budget: a request over it waits, then gets a 503 with Retry-After; an
 * answered request gives its bytes back; one tenant never holds more than its share. (Measured against the packaged service at -Xmx512m: sixteen requests of a
 * 1 MiB body of empty records at once ran it out of memory before; with the budget it answers them all.)
 */
class ParsingBudgetTest {

    private static final int MIB = 1 << 20;

    private final DefaultCamelContext camel = new DefaultCamelContext();
    /** For the tests of the waiting bound: at most two of a tenant's requests wait, each up to 3 s. */
    private final WaitingRoom waitingRoom = new WaitingRoom(2);
    private final ExecutorService threads = Executors.newFixedThreadPool(2);

    @AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    @Test
    void aBodyOverTheBudgetWaitsThen503AndAnAnsweredOneGivesItsBytesBack() {
        ParsingBudget budget = new ParsingBudget(2 * MIB, MIB, 200, new WaitingRoom(4));
        Exchange first = new DefaultExchange(camel);
        Exchange second = new DefaultExchange(camel);
        budget.take(first, "a", MIB);
        budget.take(second, "b", MIB);

        long started = System.nanoTime();
        assertThatThrownBy(() -> budget.take(new DefaultExchange(camel), "c", MIB))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(503);
                    assertThat(e.headers()).containsEntry("Retry-After", "1");
                });
        assertThat(System.nanoTime() - started).as("waited its turn first").isGreaterThanOrEqualTo(200_000_000L);

        answer(first);
        Exchange third = new DefaultExchange(camel);
        budget.take(third, "c", MIB);
        // small bodies hardly count: many fit beside the two large ones' worth
        answer(second);
        for (int i = 0; i < 100; i++) {
            budget.take(new DefaultExchange(camel), "d", 4 * 1024);
        }
    }

    @Test
    void oneTenantsLargeBodiesWaitInTheirOwnLineAndOtherTenantsGoFirst() {
        ParsingBudget budget = new ParsingBudget(2 * MIB, MIB, 200, new WaitingRoom(4));
        Exchange busy = new DefaultExchange(camel);
        budget.take(busy, "busy", MIB);

        // its second largest body waits for its own first, though half the budget is free ...
        assertThatThrownBy(() -> budget.take(new DefaultExchange(camel), "busy", MIB))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(503))
                .hasMessageContaining("this tenant");
        // ... which another tenant's largest body takes at once, with no wait
        long started = System.nanoTime();
        budget.take(new DefaultExchange(camel), "other", MIB);
        assertThat(System.nanoTime() - started).isLessThan(100_000_000L);

        answer(busy);
        budget.take(new DefaultExchange(camel), "busy", MIB / 2);
    }

    @Test
    void onlyAFewOfATenantsRequestsWaitForItsShareTheRestAreAnswered503AtOnce() {
        ParsingBudget budget = waitingBudget();
        Exchange busy = new DefaultExchange(camel);
        budget.take(busy, "busy", MIB);
        List<Future<?>> waiting = twoWaiting(budget, "busy", MIB);

        // a third would hold one more worker thread for as long: it is answered at once instead
        long started = System.nanoTime();
        assertThatThrownBy(() -> budget.take(new DefaultExchange(camel), "busy", MIB))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(503);
                    assertThat(e.headers()).containsEntry("Retry-After", "1");
                })
                .hasMessageContaining("2 more already wait");
        assertThat(System.nanoTime() - started).isLessThan(1_000_000_000L);
        // another tenant's body goes in at once
        budget.take(new DefaultExchange(camel), "other", MIB);

        // once the tenant's body is answered, the first in line goes on, and another may wait again
        answer(busy);
        Await.until("the first in line in", Duration.ofSeconds(5),
                () -> waiting.stream().filter(Future::isDone).count() == 1);
        Await.until("one left waiting", Duration.ofSeconds(5), () -> waitingRoom.waiting("busy") == 1);
    }

    @Test
    void onlyAFewOfATenantsSmallBodiesWaitForTheWholeBudgetEither() throws Exception {
        ParsingBudget budget = waitingBudget();
        Exchange first = new DefaultExchange(camel);
        budget.take(first, "a", MIB);
        budget.take(new DefaultExchange(camel), "b", MIB);
        // the tenant's own share has room for many small bodies, the whole budget for none
        List<Future<?>> waiting = twoWaiting(budget, "small", 4 * 1024);

        assertThatThrownBy(() -> budget.take(new DefaultExchange(camel), "small", 4 * 1024))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(503))
                .hasMessageContaining("2 more already wait");

        answer(first);
        Await.until("both in", Duration.ofSeconds(5), () -> waiting.stream().allMatch(Future::isDone));
        assertThat(waitingRoom.waiting("small")).isZero();
        for (Future<?> in : waiting) {
            in.get();
        }
    }

    @Test
    void theBudgetHoldsAtLeastOneLargestBody() {
        assertThatThrownBy(() -> new ParsingBudget(MIB - 1, MIB, 200, new WaitingRoom(4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inlet.http.parsing-bytes");
    }

    /** A budget of two largest bodies, with the waiting bound of these tests. */
    private ParsingBudget waitingBudget() {
        return new ParsingBudget(2 * MIB, MIB, 3_000, waitingRoom);
    }

    /** Two requests of the tenant sent on threads of their own, once both wait. */
    private List<Future<?>> twoWaiting(ParsingBudget budget, String tenant, int size) {
        List<Future<?>> waiting = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            waiting.add(threads.submit(() -> budget.take(new DefaultExchange(camel), tenant, size)));
        }
        Await.until("two of its requests waiting", Duration.ofSeconds(5), () -> waitingRoom.waiting(tenant) == 2);
        return waiting;
    }

    private static void answer(Exchange exchange) {
        for (Synchronization done : exchange.getExchangeExtension().handoverCompletions()) {
            done.onComplete(exchange);
        }
    }
}

package io.inlet.pipeline;

import java.util.List;

import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;
import org.apache.camel.support.UnitOfWorkHelper;

/** What happens when an exchange completes, for the lanes' queue tests (the aggregator's bookkeeping rides on it). */
final class Completions {

    private Completions() {
    }

    /** {@code label} is added to {@code completed} when the exchange completes, however it ends. */
    static void recordedAs(Exchange exchange, List<String> completed, String label) {
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                completed.add(label);
            }
        });
    }

    /** What a unit of work does at its end: the exchange's completions run (onFailure when it failed). */
    static void run(Exchange exchange) {
        UnitOfWorkHelper.doneSynchronizations(exchange, exchange.getExchangeExtension().handoverCompletions());
    }
}

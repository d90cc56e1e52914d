package io.inlet.pipeline;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/**
 * Gathers a file's checked chunks for the lake in file order. The parallel streaming split hands chunks over in
 * the order their checks finish; each is filed under its chunk number ({@link Exchange#SPLIT_INDEX}, the order
 * the file was read in) and {@link SourceRun} writes them strictly by number — never by a timeout. Nothing slow
 * happens here: Camel calls this under the split's lock, on a check thread.
 */
final class InFileOrder implements AggregationStrategy {

    @Override
    public Exchange aggregate(Exchange gathered, Exchange checked) {
        SourceRun file = checked.getProperty(SourceRun.PROPERTY, SourceRun.class);
        if (checked.getException() != null) {
            file.stopReading();
            return checked;
        }
        int number = checked.getProperty(Exchange.SPLIT_INDEX, Integer.class);
        Chunk chunk = checked.getMessage().getBody(Chunk.class);
        // the exchange outlives the chunk: the chunk's buffers go once it is written
        checked.getMessage().setBody(null);
        file.checked(number, chunk);
        return gathered == null ? checked : gathered;
    }

    /**
     * The split is over, done or failed: the file's reader stops waiting for checks. (Camel walks the split's
     * iterator once more at the end; after a failed check it would otherwise wait for that chunk for ever.)
     */
    @Override
    public void onCompletion(Exchange exchange, Exchange input) {
        SourceRun file = input.getProperty(SourceRun.PROPERTY, SourceRun.class);
        if (file != null) {
            file.stopReading();
        }
    }
}

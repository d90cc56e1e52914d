package io.inlet.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/**
 * Gathers a file's checked chunks into the lake in file order. The parallel streaming split hands chunks over in
 * the order their checks finish; {@link SourceRun} holds early ones back until the chunks before them are written
 * (by chunk number, never by a timeout). Camel calls this from one thread at a time.
 */
final class InFileOrder implements AggregationStrategy {

    @Override
    public Exchange aggregate(Exchange gathered, Exchange checked) {
        LineChunks chunks = checked.getProperty(JsonlContent.CHUNKS, LineChunks.class);
        if (checked.getException() != null) {
            chunks.stop();
            return checked;
        }
        SourceRun file = checked.getProperty(SourceRun.PROPERTY, SourceRun.class);
        int number = checked.getProperty(Exchange.SPLIT_INDEX, Integer.class);
        Chunk chunk = checked.getMessage().getBody(Chunk.class);
        // the exchange outlives the chunk: let the chunk's buffers go as soon as they are written
        checked.getMessage().setBody(null);
        try {
            file.checked(number, chunk, chunks);
        } catch (IOException e) {
            chunks.stop();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            chunks.stop();
            throw e;
        }
        return gathered == null ? checked : gathered;
    }
}

package io.inlet.pipeline;

/**
 * A small batch read more JSONL than a small batch may ({@code inlet.pipeline.batch.max-jsonl-bytes}): its files
 * are small as stored but inflate far beyond that. The attempt stops and the batch runs again on the large-file
 * workers; nothing is wrong with its files.
 */
final class OutgrewSmallLane extends RuntimeException {

    OutgrewSmallLane(long jsonlBytes) {
        super("read " + jsonlBytes + " bytes of JSONL, more than a small batch may", null, false, false);
    }
}

package io.inlet.pipeline;

/**
 * A file of a small batch read more JSONL than a small file may ({@code inlet.pipeline.small-source-jsonl-bytes}): it
 * is small as stored but inflates far beyond that. The attempt stops and the batch runs again on the large-file
 * workers; nothing is wrong with its files.
 */
final class OutgrewSmallLane extends RuntimeException {

    OutgrewSmallLane(long jsonlBytes) {
        super("read " + jsonlBytes + " bytes of JSONL, more than a small file may", null, false, false);
    }
}

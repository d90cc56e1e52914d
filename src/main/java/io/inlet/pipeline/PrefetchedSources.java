package io.inlet.pipeline;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Small files the planner read while claiming them (a GET tells whether the file is still in the inbox as well
 * as a HEAD does, and the content is needed next), handed to the run of the same batch on the same worker. Only
 * the first run finds them; a rerun reads from S3.
 */
public final class PrefetchedSources {

    private final Map<String, Map<String, byte[]>> byBatch = new ConcurrentHashMap<>();

    void put(String batchId, Map<String, byte[]> files) {
        if (!files.isEmpty()) {
            byBatch.put(batchId, files);
        }
    }

    /** The batch's files read ahead (removed from here); empty if none. */
    Map<String, byte[]> take(String batchId) {
        Map<String, byte[]> files = byBatch.remove(batchId);
        return files == null ? new ConcurrentHashMap<>() : files;
    }
}

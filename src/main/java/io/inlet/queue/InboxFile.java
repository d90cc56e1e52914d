package io.inlet.queue;

/**
 * An object in the inbox bucket, as a queue message announces it: its key, its size (-1 when unknown), and
 * whether it was written without a status document (upload-json batches), which spares the pipeline a lookup.
 */
public record InboxFile(String key, long size, boolean withoutStatus) {

    public InboxFile(String key, long size) {
        this(key, size, false);
    }
}

package io.inlet.queue;

/** An object in the inbox bucket, as a queue message announces it: its key and (when known) its size. */
public record InboxFile(String key, long size) {
}

package io.inlet.pipeline;

import java.util.concurrent.atomic.AtomicInteger;

import io.inlet.queue.InboxFile;

/**
 * An inbox file as a queue message announced it, and the message it came in. The message is acknowledged
 * once every file it announced is settled: claimed by a sealed batch, found claimed by another, or found
 * already gone from the inbox.
 */
public record Announced(InboxFile file, String tenant, Delivery delivery) {

    /** One received queue message; {@code receiptHandle} is null for files found by other means. */
    public static final class Delivery {
        private final String receiptHandle;
        private final AtomicInteger unsettled;

        public Delivery(String receiptHandle, int files) {
            this.receiptHandle = receiptHandle;
            this.unsettled = new AtomicInteger(files);
        }

        public String receiptHandle() {
            return receiptHandle;
        }

        /** True for the call that settles the message's last file: it is then to be acknowledged. */
        boolean settle() {
            return unsettled.decrementAndGet() == 0 && receiptHandle != null;
        }
    }
}

package io.inlet.pipeline;

/**
 * This instance no longer owns the batch it is running: it stalled (a long pause, S3 out of reach) for the lease
 * timeout and another instance took the batch over, and may have finished it. The run stops where it is, without
 * writing or deleting anything more: whatever it would still do is the new owner's to do.
 */
public final class BatchTakenOver extends RuntimeException {

    private final String owner;

    BatchTakenOver(String batchId, String owner) {
        super("batch " + batchId + " is no longer this instance's: "
                + (owner == null ? "another instance took it over and finished it" : "instance " + owner + " took it over"));
        this.owner = owner;
    }

    /** The instance the manifest names now; null when the manifest is gone (the batch is finished). */
    String owner() {
        return owner;
    }
}

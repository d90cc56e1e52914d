package io.inlet.metrics;

import io.inlet.status.UploadState;
import io.inlet.storage.FileKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What flows through the service, by tenant and stream: files and bytes received (by the way in), and records
 * accepted and rejected and files by final state (by the pipeline). Tenants are bounded by the API keys file
 * (and by whoever may write into the inbox bucket), streams are four: the series stay few.
 *
 * <p>Counting never fails the request or the batch that is counted: an error here is logged once and dropped.
 */
public final class IngestMeters {

    /** The ways files come in, the {@code via} label of the received meters. */
    public static final String VIA_UPLOAD_JSON = "upload-json";
    public static final String VIA_CONFIRM_UPLOAD = "confirm-upload";
    public static final String VIA_DROP_FOLDER = "drop-folder";

    private static final Logger LOG = LoggerFactory.getLogger(IngestMeters.class);

    private final MeterRegistry registry;
    private volatile boolean failedOnce;

    public IngestMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /** A file the service itself stored in the inbox: an upload-json batch, a confirmed upload, a dropped file. */
    public void received(FileKey key, long bytes, String via) {
        try {
            received("inlet.received.files", "Files the service stored in the inbox", key, via).increment();
            received("inlet.received.bytes", "Bytes of the files the service stored in the inbox (as sent: gzip stays gzip)",
                    key, via).increment(Math.max(0, bytes));
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    /** A file whose final status is recorded: records written to the lake and rejected, and the state it ended in. */
    public void processed(FileKey key, UploadState state, long accepted, long rejected) {
        try {
            Counter.builder("inlet.files.processed").description("Files that reached a final state")
                    .tag("tenant", key.tenant()).tag("stream", key.stream().wireName()).tag("state", state.wireName())
                    .register(registry).increment();
            records("inlet.records.accepted", "Records written to the lake", key).increment(accepted);
            records("inlet.records.rejected", "Records rejected (written to the file's rejected-records file)", key)
                    .increment(rejected);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private Counter received(String name, String description, FileKey key, String via) {
        return Counter.builder(name).description(description)
                .tag("tenant", key.tenant()).tag("stream", key.stream().wireName()).tag("via", via)
                .register(registry);
    }

    private Counter records(String name, String description, FileKey key) {
        return Counter.builder(name).description(description)
                .tag("tenant", key.tenant()).tag("stream", key.stream().wireName())
                .register(registry);
    }

    private void failed(RuntimeException e) {
        if (!failedOnce) {
            failedOnce = true;
            LOG.warn("Ingest metrics cannot be counted ({}); the service goes on without them", e.toString());
        }
    }
}

package io.inlet.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Concurrent upload-json batches of one tenant and stream may be stored as one inbox object: its records are the
 * batches' lines one after the other, and its S3 user metadata {@value #METADATA} lists each batch's records and
 * bytes in that order. Every inbox object costs the same S3 requests from the inbox write to the archive whatever
 * it holds, so at a real S3's latency many small batches cost as much as one.
 *
 * <p>Each batch keeps a file key of its own, the object's key with {@code .{n}} after its id (n from 1):
 * {@code …/dt=…/{uuid}.3.jsonl} is the third batch of {@code …/dt=…/{uuid}.jsonl}. Such a key names no object;
 * its status is the shared object's status cut to its own lines (see {@code UploadStatusApi}). Only objects Inlet
 * writes have a UUID id and this metadata, so no other file's key is taken for a batch of one.
 */
public final class SharedInboxObject {

    /** S3 user metadata (x-amz-meta-inlet-batches): "records:bytes" per batch, comma-separated, in object order. */
    public static final String METADATA = "inlet-batches";
    /**
     * At most this many batches share an object: AWS S3 allows 2 KB of user metadata, and a batch takes at most
     * 15 characters of it (up to 1 MiB of records), beside the write's id ({@code InboxWrites}, 47).
     */
    public static final int MAX_BATCHES = 100;

    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern BATCH_ID = Pattern.compile("(" + UUID.pattern() + ")\\.([1-9][0-9]{0,2})");

    /** One batch of a shared object: its records (one line each) and their bytes, newline included. */
    public record Batch(long records, long bytes) {
    }

    /** A batch's file key resolved: the shared object it is in, and its place there (1 for the first). */
    public record BatchOf(FileKey object, int number) {
    }

    private SharedInboxObject() {
    }

    /** The file key of batch {@code number} (from 1) of the shared object {@code object}. */
    public static FileKey batchKey(FileKey object, int number) {
        return new FileKey(object.stream(), object.source(), object.tenant(), object.dt(), object.id() + "." + number,
                object.extension());
    }

    /** The shared object and place of a batch's file key; empty for the key of an object (shared or not). */
    public static Optional<BatchOf> batchOf(FileKey key) {
        Matcher m = BATCH_ID.matcher(key.id());
        if (!m.matches()) {
            return Optional.empty();
        }
        FileKey object = new FileKey(key.stream(), key.source(), key.tenant(), key.dt(), m.group(1), key.extension());
        return Optional.of(new BatchOf(object, Integer.parseInt(m.group(2))));
    }

    /**
     * The batches of the inbox object {@code key} of {@code size} bytes with this metadata value; empty unless it is
     * what upload-json writes: an object of the API source with a UUID id, ending .jsonl, whose batches' bytes add up
     * to its size. Anything else is a file like any other, whatever its metadata says.
     */
    public static List<Batch> layoutOf(FileKey key, long size, String metadata) {
        if (!key.isUploadJson() || !UUID.matcher(key.id()).matches()) {
            return List.of();
        }
        List<Batch> batches = decode(metadata);
        long bytes = 0;
        for (Batch batch : batches) {
            bytes += batch.bytes();
        }
        return bytes == size ? batches : List.of();
    }

    public static String encode(List<Batch> batches) {
        StringBuilder out = new StringBuilder();
        for (Batch batch : batches) {
            if (!out.isEmpty()) {
                out.append(',');
            }
            out.append(batch.records()).append(':').append(batch.bytes());
        }
        return out.toString();
    }

    /** The batches the metadata value lists; empty when there is none or it is not one Inlet wrote. */
    public static List<Batch> decode(String value) {
        if (value == null || value.isEmpty()) {
            return List.of();
        }
        List<Batch> batches = new ArrayList<>();
        try {
            for (String item : value.split(",", -1)) {
                int colon = item.indexOf(':');
                long records = Long.parseLong(item.substring(0, colon));
                long bytes = Long.parseLong(item.substring(colon + 1));
                if (records < 0 || bytes < 0) {
                    return List.of();
                }
                batches.add(new Batch(records, bytes));
            }
        } catch (RuntimeException e) {
            return List.of();
        }
        return batches.size() > MAX_BATCHES ? List.of() : List.copyOf(batches);
    }
}

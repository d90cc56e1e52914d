package io.inlet.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;

import io.inlet.schema.Stream;
import io.inlet.storage.LakeKeys;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Writes the valid records of one batch into gzip JSONL part files, one part at a time per (tenant, stream,
 * day), uploading a part when it is full (records or bytes) and every part at the end. Memory is a fixed pool
 * of record buffers ({@code inlet.lake.buffer-bytes}); a partition that has not been written for a while
 * gives its buffer back (compressed onto its scratch file) without closing its part, so records arriving in
 * any order over any number of days still make full-size parts. At most {@code max_open_parts} parts are open at
 * once: past that the part written least recently is closed early. One file's records go to at most as many parts as
 * its caller allows ({@link PartsAllowance}): a record that would need another is refused (the caller rejects it).
 * Part names come from the batch id and a per-partition sequence: the same batch run again writes the same names.
 */
final class LakeWriter implements AutoCloseable {

    record Partition(Stream stream, String tenant, int epochDay) {
    }

    static final int BUFFER_BYTES = 128 * 1024;

    private final S3Client s3;
    private final String bucket;
    private final String batchId;
    private final BatchManifest.Cut cut;
    private final Path scratch;
    private final CrashPoints crashPoints;
    /** Before each part goes out: throws if the batch is no longer this instance's ({@link BatchSweep#confirmOwnership}). */
    private final Runnable fence;
    private final int maxBuffers;
    private final Deflater deflater;
    private final byte[] deflated = new byte[64 * 1024];
    /** Open parts, least recently written first. */
    private final LinkedHashMap<Partition, PartBuilder> parts = new LinkedHashMap<>(64, 0.75f, true);
    /** Parts holding a buffer, least recently written first. */
    private final LinkedHashMap<Partition, PartBuilder> buffered = new LinkedHashMap<>(64, 0.75f, true);
    private final ArrayDeque<byte[]> freeBuffers = new ArrayDeque<>();
    private int allocatedBuffers;
    private final Map<Partition, Integer> nextSequence = new HashMap<>();
    private final Map<Integer, List<String>> keysBySource = new HashMap<>();
    /** By source (its index in the batch): how many parts hold its records, the open ones included. */
    private final Map<Integer, Integer> partsBySource = new HashMap<>();

    LakeWriter(S3Client s3, String bucket, String batchId, BatchManifest.Cut cut, long bufferMemory, Path scratch,
            CrashPoints crashPoints, Runnable fence) {
        this.s3 = s3;
        this.bucket = bucket;
        this.batchId = batchId;
        this.cut = cut;
        this.scratch = scratch;
        this.crashPoints = crashPoints;
        this.fence = fence;
        this.maxBuffers = (int) Math.max(2, bufferMemory / BUFFER_BYTES);
        this.deflater = new Deflater(cut.gzipLevel(), true);
    }

    /**
     * Adds the record to its partition's part; false, and nothing added, when it would be the first record of its
     * source in a part while the source's records already fill as many parts as {@code allowance} allows its first
     * {@code sourceRecords} valid records (null: no bound). The allowance is only worked out when a part would open.
     */
    boolean append(Partition partition, byte[] data, int offset, int length, int sourceIndex,
            PartsAllowance allowance, long sourceRecords) throws IOException {
        PartBuilder part = parts.get(partition);
        if (part != null && (part.records >= cut.maxRecordsPerPart() || part.bytes + length + 1 > cut.maxBytesPerPart())) {
            upload(partition, part);
            part = null;
        }
        if (part == null || !part.sources.get(sourceIndex)) {
            int partsOfSource = partsBySource.getOrDefault(sourceIndex, 0);
            if (allowance != null && partsOfSource >= allowance.allowed(sourceRecords)) {
                return false;
            }
            partsBySource.put(sourceIndex, partsOfSource + 1);
        }
        if (part == null) {
            if (cut.maxOpenParts() > 0 && parts.size() >= cut.maxOpenParts()) {
                // the order records come in decides which, so a rerun closes the same parts at the same records
                Map.Entry<Partition, PartBuilder> idle = parts.entrySet().iterator().next();
                upload(idle.getKey(), idle.getValue());
            }
            part = new PartBuilder(Files.createTempFile(scratch, "part-", ".jsonl.gz"));
            parts.put(partition, part);
        }
        if (length + 1 > BUFFER_BYTES) {
            part.addLarge(data, offset, length, sourceIndex, deflater, deflated);
            return true;
        }
        if (part.buffer == null) {
            part.buffer = takeBuffer();
        } else if (!part.hasRoom(length)) {
            part.flush(deflater, deflated);
        }
        buffered.put(partition, part);
        part.add(data, offset, length, sourceIndex);
        return true;
    }

    /** Uploads every part; after this all of the batch's records are durable in the lake. */
    void finish() throws IOException {
        for (Partition partition : new ArrayList<>(parts.keySet())) {
            upload(partition, parts.get(partition));
        }
    }

    /** The part keys holding records of the given source (its index in the batch). */
    List<String> keysOf(int sourceIndex) {
        return keysBySource.getOrDefault(sourceIndex, List.of());
    }

    @Override
    public void close() {
        for (PartBuilder part : parts.values()) {
            try {
                part.discard();
            } catch (IOException ignored) {
                // scratch space is cleaned at the next start anyway
            }
        }
        parts.clear();
        buffered.clear();
        deflater.end();
    }

    /** A free buffer, or the one of the partition written least recently (compressed away first). */
    private byte[] takeBuffer() throws IOException {
        if (!freeBuffers.isEmpty()) {
            return freeBuffers.pop();
        }
        if (allocatedBuffers < maxBuffers) {
            allocatedBuffers++;
            return new byte[BUFFER_BYTES];
        }
        Iterator<PartBuilder> eldest = buffered.values().iterator();
        PartBuilder idle = eldest.next();
        eldest.remove();
        idle.flush(deflater, deflated);
        byte[] buffer = idle.buffer;
        idle.buffer = null;
        return buffer;
    }

    private void upload(Partition partition, PartBuilder part) throws IOException {
        part.seal(deflater, deflated);
        parts.remove(partition);
        buffered.remove(partition);
        if (part.buffer != null) {
            freeBuffers.push(part.buffer);
            part.buffer = null;
        }
        int sequence = nextSequence.merge(partition, 1, Integer::sum);
        String key = LakeKeys.part(partition.stream(), partition.tenant(), LocalDate.ofEpochDay(partition.epochDay()),
                batchId, sequence);
        try {
            // once per name, never over a withdrawn part but by the batch's owner (BatchParts)
            BatchParts.write(s3, bucket, key, part.file, fence);
        } finally {
            part.discard();
        }
        part.sources.stream().forEach(source -> keysBySource.computeIfAbsent(source, s -> new ArrayList<>()).add(key));
        crashPoints.reached(CrashPoints.AFTER_FIRST_PART);
    }
}

package io.inlet.pipeline;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import io.inlet.schema.Stream;
import io.inlet.storage.LakeKeys;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Writes the valid records of one batch into gzip JSONL part files, one open part per (tenant, stream, day),
 * and uploads each part to the lake when it is full (records or bytes), when too many partitions are open
 * (least recently written first), or at the end. Parts are built in scratch files, so memory does not grow
 * with their size. Part names come from the batch id and a per-partition sequence: running the same batch
 * again writes the same names.
 */
final class LakeWriter implements AutoCloseable {

    record Partition(Stream stream, String tenant, int epochDay) {
    }

    private final S3Client s3;
    private final String bucket;
    private final String batchId;
    private final BatchManifest.Cut cut;
    private final Path scratch;
    private final CrashPoints crashPoints;
    private final LinkedHashMap<Partition, OpenPart> open = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<Partition, Integer> nextSequence = new HashMap<>();
    private final List<String> uploaded = new ArrayList<>();
    private final Map<Integer, List<String>> keysBySource = new HashMap<>();

    LakeWriter(S3Client s3, String bucket, String batchId, BatchManifest.Cut cut, Path scratch, CrashPoints crashPoints) {
        this.s3 = s3;
        this.bucket = bucket;
        this.batchId = batchId;
        this.cut = cut;
        this.scratch = scratch;
        this.crashPoints = crashPoints;
    }

    void append(Partition partition, byte[] data, int offset, int length, int sourceIndex) throws IOException {
        OpenPart part = open.get(partition);
        if (part != null && (part.records >= cut.maxRecordsPerPart() || part.bytes + length + 1 > cut.maxBytesPerPart())) {
            upload(partition, open.remove(partition));
            part = null;
        }
        if (part == null) {
            if (open.size() >= cut.maxOpenPartitions()) {
                Iterator<Map.Entry<Partition, OpenPart>> eldest = open.entrySet().iterator();
                Map.Entry<Partition, OpenPart> evicted = eldest.next();
                eldest.remove();
                upload(evicted.getKey(), evicted.getValue());
            }
            part = new OpenPart(Files.createTempFile(scratch, "part-", ".jsonl.gz"), cut.gzipLevel());
            open.put(partition, part);
        }
        part.write(data, offset, length, sourceIndex);
    }

    /** Uploads every open part; after this all of the batch's records are durable in the lake. */
    void finish() throws IOException {
        Iterator<Map.Entry<Partition, OpenPart>> parts = open.entrySet().iterator();
        while (parts.hasNext()) {
            Map.Entry<Partition, OpenPart> part = parts.next();
            parts.remove();
            upload(part.getKey(), part.getValue());
        }
    }

    /** Undoes the batch's output so far: scratch files dropped, uploaded parts deleted. */
    void abort() {
        close();
        for (String key : uploaded) {
            s3.deleteObject(b -> b.bucket(bucket).key(key));
        }
        uploaded.clear();
        keysBySource.clear();
        nextSequence.clear();
    }

    /** The part keys holding records of the given source (its index in the batch). */
    List<String> keysOf(int sourceIndex) {
        return keysBySource.getOrDefault(sourceIndex, List.of());
    }

    List<String> uploaded() {
        return uploaded;
    }

    @Override
    public void close() {
        for (OpenPart part : open.values()) {
            part.discard();
        }
        open.clear();
    }

    private void upload(Partition partition, OpenPart part) throws IOException {
        part.finish();
        int sequence = nextSequence.merge(partition, 1, Integer::sum);
        String key = LakeKeys.part(partition.stream(), partition.tenant(), LocalDate.ofEpochDay(partition.epochDay()),
                batchId, sequence);
        try {
            s3.putObject(b -> b.bucket(bucket).key(key).contentType("application/jsonl").contentEncoding("gzip"),
                    RequestBody.fromFile(part.file));
        } finally {
            part.discard();
        }
        uploaded.add(key);
        part.sources.stream().forEach(source -> keysBySource.computeIfAbsent(source, s -> new ArrayList<>()).add(key));
        crashPoints.reached(CrashPoints.AFTER_FIRST_PART);
    }

    /** One part being written: gzip into a scratch file. */
    private static final class OpenPart {
        final Path file;
        final OutputStream out;
        final BitSet sources = new BitSet();
        long records;
        long bytes;

        OpenPart(Path file, int level) throws IOException {
            this.file = file;
            OutputStream fileOut = new BufferedOutputStream(Files.newOutputStream(file), 65_536);
            this.out = new GZIPOutputStream(fileOut, 65_536) {
                {
                    def.setLevel(level);
                }
            };
        }

        void write(byte[] data, int offset, int length, int sourceIndex) throws IOException {
            out.write(data, offset, length);
            out.write('\n');
            records++;
            bytes += length + 1;
            sources.set(sourceIndex);
        }

        void finish() throws IOException {
            out.close();
        }

        void discard() {
            try {
                out.close();
            } catch (IOException ignored) {
                // the scratch file is deleted anyway
            }
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}

package io.inlet.pipeline;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.schema.FieldError;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The rejected records of one file, as gzip JSONL: {@code {"line": n, "errors": [{pointer, message}], "raw": "…"}}
 * with the raw line cut to a few KB; for a line of a zip archive's entry, {@code "entry"} names the entry first (the
 * line is counted within it). Built in a scratch file and uploaded next to the status document. It holds the first
 * rejections up to a bound on their bytes (before gzip), and only counts the rest: rejections cost far more than the
 * lines they are about (a gzip file of tiny lines inflates a thousandfold into its rejected-records file), and the
 * file is kept in the lake for good.
 */
final class RejectedFile implements AutoCloseable {

    private final Path file;
    private final OutputStream out;
    private final ObjectMapper json;
    private final int rawBytes;
    private final long maxBytes;
    private long count;
    private long bytes;
    private long notKept;

    /** {@code maxBytes}: the entries' bytes it holds at most (0: no bound, as manifests of earlier versions ran). */
    RejectedFile(Path scratch, ObjectMapper json, int rawBytes, long maxBytes) throws IOException {
        this.file = Files.createTempFile(scratch, "rejected-", ".jsonl.gz");
        this.out = new GZIPOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 65_536), 65_536);
        this.json = json;
        this.rawBytes = rawBytes;
        this.maxBytes = maxBytes;
    }

    /** {@code archiveEntry}: the zip entry the line is in, null for a file that is no archive. */
    void add(String archiveEntry, long line, List<FieldError> errors, byte[] data, int offset, int length, boolean cutAlready)
            throws IOException {
        if (notKept > 0) {
            // once one is not kept, none after it is either: the file is the first rejections, without gaps
            notKept++;
            return;
        }
        int kept = Math.min(length, rawBytes);
        Map<String, Object> entry = new LinkedHashMap<>();
        if (archiveEntry != null) {
            entry.put("entry", archiveEntry);
        }
        entry.put("line", line);
        entry.put("errors", errors);
        entry.put("raw", text(data, offset, kept));
        if (kept < length || cutAlready) {
            entry.put("raw_truncated", true);
        }
        byte[] written = json.writeValueAsBytes(entry);
        if (maxBytes > 0 && bytes + written.length + 1 > maxBytes) {
            notKept++;
            return;
        }
        out.write(written);
        out.write('\n');
        bytes += written.length + 1;
        count++;
    }

    long count() {
        return count;
    }

    /** Rejections past the bound: counted, not kept. */
    long notKept() {
        return notKept;
    }

    /** Uploads the file when it has entries; returns whether it did. */
    boolean upload(S3Client s3, String bucket, String key) throws IOException {
        out.close();
        if (count == 0) {
            return false;
        }
        s3.putObject(b -> b.bucket(bucket).key(key).contentType("application/gzip"),
                RequestBody.fromFile(file));
        return true;
    }

    @Override
    public void close() throws IOException {
        try {
            out.close();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** The raw bytes as text; bytes that are not UTF-8 are shown as U+FFFD. */
    private static String text(byte[] data, int offset, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(data, offset, length)).toString();
        } catch (CharacterCodingException e) {
            return new String(data, offset, length, StandardCharsets.UTF_8);
        }
    }
}

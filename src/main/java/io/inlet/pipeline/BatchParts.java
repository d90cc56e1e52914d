package io.inlet.pipeline;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;

import io.inlet.storage.FileKey;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A batch's part files in the lake: written once per name, and withdrawn by leaving an empty part in their place.
 *
 * <p>A part is written only where its name is free ({@code If-None-Match: *}). A name already taken holds either the
 * same part, written by another run of the same attempt (runs are deterministic: a retry, a rerun after a crash or
 * a takeover, an SDK retry whose first try was stored), and nothing needs writing; or a withdrawn part. Withdrawing
 * (a file of the attempt failed, or the batch was given up) puts an empty gzip part marked {@value #WITHDRAWN} in
 * place of each part instead of deleting it, so that a run which stalled after its ownership check (past its lease,
 * while another instance took the batch over and withdrew the attempt) cannot put its part back afterwards: its write
 * finds the name taken. Deleting left that write to land, its records in the lake twice. Only the batch's owner
 * writes over a withdrawn part (a rerun the failure did not repeat).
 *
 * <p>Parts to withdraw are found by listing the batch's files' tenants and streams for the names runs of the batch
 * give their parts ({@code part-{name}-{seq}.jsonl.gz}): listing, not the names one run remembers, as a run that
 * crashed or stalled left parts no later run knows of. Both uses are rare (a file that fails, a batch given up).
 */
final class BatchParts {

    /** User metadata of a withdrawn part (the value "true"). */
    static final String WITHDRAWN = "inlet-withdrawn";

    private final S3Client s3;
    private final String lake;

    BatchParts(S3Client s3, String lake) {
        this.s3 = s3;
        this.lake = lake;
    }

    /**
     * Writes a part under {@code key} unless the name is taken; over a withdrawn part only when {@code fence} (run
     * first, as before every part) passes again: it throws when the batch is no longer this instance's.
     */
    static void write(S3Client s3, String bucket, String key, Path file, Runnable fence) {
        fence.run();
        String over = null; // the withdrawn part this write may replace (its ETag)
        for (int attempt = 1; ; attempt++) {
            String condition = over;
            try {
                s3.putObject(b -> {
                    b.bucket(bucket).key(key).contentType("application/gzip");
                    if (condition == null) {
                        b.ifNoneMatch("*");
                    } else {
                        b.ifMatch(condition);
                    }
                }, RequestBody.fromFile(file));
                return;
            } catch (S3Exception e) {
                // 409: another conditional write of the name under way (AWS): asked again after a moment
                if (e.statusCode() == 409 && attempt < 5) {
                    pause(attempt);
                    continue;
                }
                if (e.statusCode() != 412 || attempt >= 5) {
                    throw e;
                }
            }
            var taken = s3.headObject(b -> b.bucket(bucket).key(key));
            if (!"true".equals(taken.metadata().get(WITHDRAWN))) {
                return; // the same part, written by a run of the same attempt
            }
            // over this very withdrawn part only (If-Match): a stalled run that passed the fence before the owner
            // withdrew the name again finds it changed
            fence.run();
            over = taken.eTag();
        }
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(50L << attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing a part", e);
        }
    }

    /** Withdraws the parts named after {@code outputName} (one attempt's name), whichever run wrote them. */
    void withdrawNamed(BatchManifest manifest, String outputName) {
        withdraw(manifest, Pattern.compile(".*/part-" + Pattern.quote(outputName) + "-\\d+\\.jsonl\\.gz"));
    }

    /** Withdraws every part any run of the batch wrote, under any of its attempts' names. */
    void withdrawAll(BatchManifest manifest) {
        withdraw(manifest, Pattern.compile(".*/part-" + Pattern.quote(manifest.batchId()) + "(-w[0-9.]+)?-\\d+\\.jsonl\\.gz"));
    }

    private void withdraw(BatchManifest manifest, Pattern names) {
        Set<String> prefixes = new TreeSet<>();
        for (BatchManifest.Source source : manifest.sources()) {
            FileKey.ofManifest(source.key()).ifPresent(k -> prefixes.add(k.stream().wireName() + "/tenant=" + k.tenant() + "/"));
        }
        for (String prefix : prefixes) {
            List<String> keys = s3.listObjectsV2Paginator(b -> b.bucket(lake).prefix(prefix)).contents().stream()
                    .map(S3Object::key).filter(k -> names.matcher(k).matches()).toList();
            for (String key : keys) {
                s3.putObject(b -> b.bucket(lake).key(key).contentType("application/gzip").metadata(Map.of(WITHDRAWN, "true")),
                        RequestBody.fromBytes(emptyGzip("withdrawn-" + UUID.randomUUID())));
            }
        }
    }

    /**
     * A gzip member holding nothing: what readers find in a withdrawn part. Each carries a name of its own in its
     * header, so each withdrawal has its own ETag: a write allowed over one withdrawn part (If-Match) is refused over
     * a later withdrawal of the same name.
     */
    static byte[] emptyGzip(String name) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        // magic, deflate, FNAME, no time, no extra flags, unknown OS
        bytes.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0x08, 0, 0, 0, 0, 0, (byte) 0xff});
        bytes.writeBytes(name.getBytes(StandardCharsets.ISO_8859_1));
        bytes.write(0);
        // an empty final deflate block, then CRC-32 and size of nothing
        bytes.writeBytes(new byte[] {0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0});
        return bytes.toByteArray();
    }
}

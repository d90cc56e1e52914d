package io.inlet.pipeline;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

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
    /** A gzip member holding nothing: what readers find in a withdrawn part. */
    private static final byte[] EMPTY_GZIP = emptyGzip();

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
        for (int attempt = 1; ; attempt++) {
            try {
                s3.putObject(b -> b.bucket(bucket).key(key).contentType("application/gzip").ifNoneMatch("*"),
                        RequestBody.fromFile(file));
                return;
            } catch (S3Exception e) {
                // 409: another conditional write of the name under way (AWS); asked again
                if (e.statusCode() == 409 && attempt < 5) {
                    continue;
                }
                if (e.statusCode() != 412) {
                    throw e;
                }
            }
            Map<String, String> taken = s3.headObject(b -> b.bucket(bucket).key(key)).metadata();
            if (!"true".equals(taken.get(WITHDRAWN))) {
                return; // the same part, written by a run of the same attempt
            }
            fence.run();
            s3.putObject(b -> b.bucket(bucket).key(key).contentType("application/gzip"), RequestBody.fromFile(file));
            return;
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
                        RequestBody.fromBytes(EMPTY_GZIP));
            }
        }
    }

    private static byte[] emptyGzip() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
            gzip.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}

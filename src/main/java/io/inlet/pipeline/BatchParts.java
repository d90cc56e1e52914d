package io.inlet.pipeline;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import io.inlet.storage.FileKey;
import io.inlet.storage.S3Objects;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A batch's part files in the lake, found by listing its files' tenants and streams for the names runs of the batch
 * give their parts ({@code part-{name}-{seq}.jsonl.gz}). Listing, not the names one run remembers: a run that
 * crashed or stalled left parts no later run knows of. Both uses are rare (a file that fails, a batch given up).
 */
final class BatchParts {

    private final S3Client s3;
    private final String lake;

    BatchParts(S3Client s3, String lake) {
        this.s3 = s3;
        this.lake = lake;
    }

    /** Deletes the parts named after {@code outputName} (one attempt's name), whichever run wrote them. */
    void deleteNamed(BatchManifest manifest, String outputName) {
        delete(manifest, Pattern.compile(".*/part-" + Pattern.quote(outputName) + "-\\d+\\.jsonl\\.gz"));
    }

    /** Deletes every part any run of the batch wrote, under any of its attempts' names. */
    void deleteAll(BatchManifest manifest) {
        delete(manifest, Pattern.compile(".*/part-" + Pattern.quote(manifest.batchId()) + "(-w[0-9.]+)?-\\d+\\.jsonl\\.gz"));
    }

    private void delete(BatchManifest manifest, Pattern names) {
        Set<String> prefixes = new TreeSet<>();
        for (BatchManifest.Source source : manifest.sources()) {
            FileKey.ofManifest(source.key()).ifPresent(k -> prefixes.add(k.stream().wireName() + "/tenant=" + k.tenant() + "/"));
        }
        for (String prefix : prefixes) {
            S3Objects.deleteAll(s3, lake, s3.listObjectsV2Paginator(b -> b.bucket(lake).prefix(prefix)).contents().stream()
                    .map(S3Object::key).filter(k -> names.matcher(k).matches()).toList());
        }
    }
}

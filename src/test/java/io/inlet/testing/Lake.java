package io.inlet.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Json;
import io.inlet.storage.LakeKeys;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Reads back what the lake holds, the way a downstream reader would: list part files, gunzip, parse lines. */
public final class Lake {

    private static final ObjectMapper JSON = Json.mapper();

    private Lake() {
    }

    /**
     * Batches still in progress: manifests in the lake bucket, not counting tombstones (batches abandoned before they
     * were sealed, kept a day).
     */
    public static List<String> unfinishedBatches(S3Client s3, String bucket) {
        List<String> unfinished = new ArrayList<>();
        for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(LakeKeys.MANIFEST_PREFIX)).contents()) {
            try {
                var head = s3.headObject(b -> b.bucket(bucket).key(object.key()));
                if (!"true".equals(head.metadata().get(LakeKeys.ABANDONED_METADATA))) {
                    unfinished.add(object.key());
                }
            } catch (NoSuchKeyException finished) {
                // deleted between the listing and the look
            }
        }
        return unfinished;
    }

    public static List<String> partKeys(S3Client s3, String bucket, String prefix) {
        return s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                .map(S3Object::key).filter(k -> k.endsWith(".jsonl.gz")).toList();
    }

    /** Every record under the prefix (for example {@code contact_event/tenant=t/}), across all part files. */
    public static List<JsonNode> records(S3Client s3, String bucket, String prefix) {
        List<JsonNode> records = new ArrayList<>();
        for (String key : partKeys(s3, bucket, prefix)) {
            records.addAll(gzipJsonLines(s3, bucket, key));
        }
        return records;
    }

    public static List<String> values(List<JsonNode> records, String field) {
        return records.stream().map(r -> r.get(field).asText()).toList();
    }

    /** The {@code field} of every record under the prefix, sorted, duplicates kept (see {@link #sorted}). */
    public static List<String> sortedValues(S3Client s3, String bucket, String prefix, String field) {
        return sorted(values(records(s3, bucket, prefix), field));
    }

    /**
     * The values sorted, duplicates kept: compare two of these with isEqualTo to check "exactly these, once each"
     * (AssertJ's containsExactlyInAnyOrder is quadratic, too slow for hundreds of thousands of ids).
     */
    public static List<String> sorted(List<String> values) {
        return values.stream().sorted().toList();
    }

    /** Every line of the parts under the prefix, as stored: split at LF alone (readLine would split at a CR too). */
    public static List<String> lines(S3Client s3, String bucket, String prefix) {
        List<String> lines = new ArrayList<>();
        for (String key : partKeys(s3, bucket, prefix)) {
            String text = new String(gunzipped(s3, bucket, key), StandardCharsets.UTF_8);
            lines.addAll(List.of(text.split("\n")));
        }
        return lines;
    }

    /** A part file's bytes as a reader gets them: gunzipped, nothing parsed. */
    public static byte[] gunzipped(S3Client s3, String bucket, String key) {
        try (InputStream in = new GZIPInputStream(s3.getObject(b -> b.bucket(bucket).key(key)))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(key, e);
        }
    }

    public static List<JsonNode> gzipJsonLines(S3Client s3, String bucket, String key) {
        List<JsonNode> lines = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(s3.getObject(b -> b.bucket(bucket).key(key))), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isBlank()) {
                    lines.add(JSON.readTree(line));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(key, e);
        }
        return lines;
    }
}

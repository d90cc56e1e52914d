package io.inlet.storage.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;

import io.inlet.testing.InletApp;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Listings of the embedded S3 page as S3 does: keys in order, under the prefix, after the start, max-keys at a time,
 * truncated exactly when keys are left, with keys, sizes and ETags of the objects; whatever mix of folders and names
 * that sort around '/' ('-' before it, '0' after it) the keys make, and whether the page is answered from names or by
 * S3Proxy (a directory marker object, a multipart upload under way).
 */
class ListingPagesTest {

    /** Keys that fall on either side of their folders in key order; no key is also a folder (a file system's rule). */
    private static final List<String> KEYS = List.of("a-b", "a/b-c", "a/bc", "a/b/c", "a/b/d/e", "a0", "ab/c",
            "b/x/y/z", "b/x-1", "b/x/0", "b/x0", "c", "data/t/dt=1/p-1", "data/t/dt=1/p-2", "data/t/dt=10/p-1",
            "data/t/dt=2/p-1", "data/t-x/q", "data/t/z", "data/u/dt=1/p-1");
    private static final List<String> PREFIXES = List.of("", "a", "a/", "a/b", "a/b/", "b/x", "b/x/", "data/",
            "data/t/", "data/t", "data/t/dt=1", "zzz", "data/t/dt=1/p-1");

    static InletApp app;
    static S3Client s3;
    static String bucket;

    @BeforeAll
    static void keys() {
        app = InletApp.shared();
        s3 = app.s3();
        bucket = "listing-" + UUID.randomUUID();
        s3.createBucket(b -> b.bucket(bucket));
        for (String key : KEYS) {
            s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString("body of " + key));
        }
    }

    @Test
    void everyPrefixPagesThroughItsKeysInOrderAtEveryPageSize() {
        for (String prefix : PREFIXES) {
            List<String> expected = KEYS.stream().filter(k -> k.startsWith(prefix)).sorted().toList();
            for (int pageSize : new int[] {1, 2, 3, 1000}) {
                assertThat(pagedThrough(prefix, pageSize, null)).as("prefix '%s', pages of %d", prefix, pageSize)
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void aListingStartsAfterAnyKeyOrNameBetweenKeys() {
        TreeSet<String> starts = new TreeSet<>(KEYS);
        starts.addAll(List.of("a/", "a/b/", "a/b", "b/x/", "b/x/y", "b/x/z", "data/t/dt=1/", "data/t/dt=10", "0", "~"));
        for (String prefix : List.of("", "a/", "b/x", "data/t")) {
            for (String after : starts) {
                List<String> expected = KEYS.stream().filter(k -> k.startsWith(prefix) && k.compareTo(after) > 0)
                        .sorted().toList();
                assertThat(pagedThrough(prefix, 2, after)).as("prefix '%s' after '%s'", prefix, after)
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void listedObjectsCarryTheirSizeAndETag() {
        ListObjectsV2Response page = s3.listObjectsV2(b -> b.bucket(bucket).prefix("a/b/").maxKeys(10));
        assertThat(page.isTruncated()).isFalse();
        for (S3Object object : page.contents()) {
            var head = s3.headObject(b -> b.bucket(bucket).key(object.key()));
            assertThat(object.size()).isEqualTo(("body of " + object.key()).length());
            assertThat(object.eTag()).isEqualTo(head.eTag());
            assertThat(object.lastModified()).isEqualTo(head.lastModified());
        }
    }

    /**
     * Names XML 1.0 cannot carry are listed URL-encoded when asked (the SDK decodes them), page by page: the token
     * that continues a page is not encoded, and names with '=', '+', ' ' and '%' come back as written.
     */
    @Test
    void urlEncodedListingsPageThroughAnyName() {
        String names = "names-" + UUID.randomUUID();
        s3.createBucket(b -> b.bucket(names));
        List<String> keys = List.of("d/a=b/c\u0001d", "d/a=b/c d+e%20", "d/a=b/\uFFFFz", "d/plain", "d/~tilde");
        for (String key : keys) {
            s3.putObject(b -> b.bucket(names).key(key), RequestBody.fromString("x"));
        }
        List<String> listed = new ArrayList<>();
        s3.listObjectsV2Paginator(b -> b.bucket(names).prefix("d/").maxKeys(1).encodingType(EncodingType.URL))
                .contents().forEach(o -> listed.add(o.key()));
        assertThat(listed).isEqualTo(keys.stream().sorted().toList());
    }

    /** S3Proxy answers what the names cannot tell: a directory marker object is listed as its key. */
    @Test
    void aDirectoryMarkerObjectIsListed() {
        String markers = "markers-" + UUID.randomUUID();
        s3.createBucket(b -> b.bucket(markers));
        for (String key : List.of("m/", "m/x", "n")) {
            s3.putObject(b -> b.bucket(markers).key(key), RequestBody.empty());
        }
        List<String> listed = new ArrayList<>();
        s3.listObjectsV2Paginator(b -> b.bucket(markers).maxKeys(2)).contents().forEach(o -> listed.add(o.key()));
        assertThat(listed).containsExactly("m/", "m/x", "n");
    }

    /** A multipart upload under way keeps its parts where S3Proxy hides them: they are never listed. */
    @Test
    void aMultipartUploadUnderWayIsNotListed() {
        String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key("a/b/uploading")).uploadId();
        try {
            s3.uploadPart(b -> b.bucket(bucket).key("a/b/uploading").uploadId(uploadId).partNumber(1),
                    RequestBody.fromString("part"));
            assertThat(pagedThrough("", 3, null)).isEqualTo(KEYS.stream().sorted().toList());
            assertThat(pagedThrough("a/b/", 1, null)).containsExactly("a/b/c", "a/b/d/e");
        } finally {
            s3.abortMultipartUpload(b -> b.bucket(bucket).key("a/b/uploading").uploadId(uploadId));
        }
    }

    /** Every key listed, page after page by continuation token; each page but the last full and truncated. */
    private static List<String> pagedThrough(String prefix, int pageSize, String after) {
        List<String> keys = new ArrayList<>();
        String token = null;
        while (true) {
            String from = token;
            ListObjectsV2Response page = s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix.isEmpty() ? null : prefix)
                    .maxKeys(pageSize).startAfter(after).continuationToken(from));
            page.contents().forEach(object -> keys.add(object.key()));
            assertThat(page.keyCount()).isEqualTo(page.contents().size());
            if (!page.isTruncated()) {
                return keys;
            }
            assertThat(page.contents()).as("a truncated page is full").hasSize(pageSize);
            token = page.nextContinuationToken();
        }
    }
}

package io.inlet.upload;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import io.inlet.schema.Stream;
import io.inlet.storage.FileKey;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * How many upload URLs each tenant holds that are neither confirmed nor expired, to keep each under a bound: an
 * unconfirmed upload is stored but counts against no other limit, so without one a tenant could fill the landing
 * bucket with files it never confirms.
 *
 * <p>Counted in memory, as S3 is too slow to ask per request (listing a prefix of the embedded S3's lake bucket walks
 * the bucket): the open markers of all instances, as the expiry sweep last listed them (at start, then every
 * {@code inlet.upload.expiry-check-ms}), plus what this instance handed out and minus what it saw closed since. That
 * runs ahead of S3 when uploads are confirmed on other instances, so a tenant at the bound is counted again from S3
 * before it is refused (at most every {@link #RECHECK} a tenant); it runs behind when other instances hand out URLs,
 * so with several instances a tenant may hold up to the bound on each until the next sweep.
 */
final class OpenUploads {

    /** A tenant refused is counted again from S3 at most this often. */
    static final Duration RECHECK = Duration.ofSeconds(10);

    private final S3Client s3;
    private final String lakeBucket;
    private final Clock clock;
    private final Map<String, Integer> open = new HashMap<>();
    /** While the sweep lists: what changed meanwhile, to add to what it finds. */
    private Map<String, Integer> sinceListing;
    private final Map<String, Instant> checkedAt = new HashMap<>();

    OpenUploads(S3Client s3, String lakeBucket, Clock clock) {
        this.s3 = s3;
        this.lakeBucket = lakeBucket;
        this.clock = clock;
    }

    /** One more open upload for the tenant, if it holds fewer than {@code most}; {@link #release} it if not handed out. */
    boolean reserve(String tenant, int most) {
        Instant now = clock.instant();
        synchronized (this) {
            if (open.getOrDefault(tenant, 0) < most) {
                change(tenant, 1);
                return true;
            }
            Instant checked = checkedAt.get(tenant);
            if (checked != null && now.isBefore(checked.plus(RECHECK))) {
                return false;
            }
            checkedAt.put(tenant, now);
        }
        int listed = listed(tenant, most);
        synchronized (this) {
            int counted = open.getOrDefault(tenant, 0);
            if (listed < counted) {
                change(tenant, listed - counted); // closed elsewhere since the sweep
            }
            if (open.getOrDefault(tenant, 0) < most) {
                change(tenant, 1);
                return true;
            }
            return false;
        }
    }

    /** A reserved upload that was not handed out after all. */
    synchronized void release(String tenant) {
        change(tenant, -1);
    }

    /** An upload of the tenant was confirmed, refused for good or expired. */
    synchronized void closed(String tenant) {
        change(tenant, -1);
    }

    synchronized int count(String tenant) {
        return open.getOrDefault(tenant, 0);
    }

    /** The sweep starts listing the open markers. */
    synchronized void listing() {
        sinceListing = new HashMap<>();
    }

    /** The sweep listed these still open: with what changed while it listed, the counts from now on. */
    synchronized void listed(Map<String, Integer> stillOpen) {
        Map<String, Integer> changed = sinceListing == null ? Map.of() : sinceListing;
        sinceListing = null;
        open.clear();
        stillOpen.forEach((tenant, count) -> change(tenant, count));
        changed.forEach((tenant, count) -> change(tenant, count));
        checkedAt.clear();
    }

    /** The sweep failed: the counts go on as they were. */
    synchronized void notListed() {
        sinceListing = null;
    }

    private void change(String tenant, int by) {
        open.compute(tenant, (t, before) -> {
            int now = (before == null ? 0 : before) + by;
            return now > 0 ? now : null;
        });
        if (sinceListing != null) {
            sinceListing.merge(tenant, by, Integer::sum);
        }
    }

    /** The tenant's open markers in S3, up to {@code most}: one listing a stream (the tenant comes after the stream). */
    private int listed(String tenant, int most) {
        int listed = 0;
        for (Stream stream : Stream.values()) {
            String prefix = UploadExpiry.PENDING + FileKey.tenantPrefix(stream, FileKey.SOURCE_API, tenant);
            listed += s3.listObjectsV2(b -> b.bucket(lakeBucket).prefix(prefix).maxKeys(most)).keyCount();
            if (listed >= most) {
                return most;
            }
        }
        return listed;
    }
}

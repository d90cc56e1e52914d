package io.inlet.upload;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import io.inlet.schema.Stream;
import io.inlet.storage.FileKey;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The upload URLs each tenant holds that are neither confirmed nor expired, to keep each under a bound: an unconfirmed
 * upload is stored but counts against no other limit, so without one a tenant could fill the landing bucket with files
 * it never confirms.
 *
 * <p>Kept in memory by file key, as S3 is too slow to ask per request (listing a prefix of the embedded S3's lake
 * bucket walks the bucket): the open markers of all instances as the expiry sweep last found them (at start, then every
 * {@code inlet.upload.expiry-check-ms}), with the uploads this instance opened since and without those it saw closed,
 * plus the URLs being made right now. Uploads closed on other instances stay counted until the next sweep, so a tenant
 * at the bound has its markers listed again before it is refused (at most every {@link #RECHECK} a tenant); uploads
 * opened on other instances are not counted until the next sweep, so with several instances a tenant may hold up to
 * the bound on each until then.
 */
final class OpenUploads {

    /** A tenant refused is counted again from S3 at most this often. */
    static final Duration RECHECK = Duration.ofSeconds(10);

    private final S3Client s3;
    private final String lakeBucket;
    private final Clock clock;
    /** Open uploads by tenant: their file keys. */
    private final Map<String, Set<String>> open = new HashMap<>();
    /** URLs being made (reserved, their marker not written yet), by tenant. */
    private final Map<String, Integer> making = new HashMap<>();
    /** The listings under way (the sweep's, a tenant's recheck): each learns what opened and closed while it listed. */
    private final Set<Listing> listings = new HashSet<>();
    /** The sweep's listing, while it lists. */
    private Listing sweep;
    private final Map<String, Instant> checkedAt = new HashMap<>();

    /** What opened (file key to tenant) and closed while one listing ran, seen by it or not. */
    private static final class Listing {
        final Map<String, String> opened = new HashMap<>();
        final Set<String> closed = new HashSet<>();

        /** The listed keys of the tenant, with those opened and without those closed meanwhile. */
        Set<String> settle(String tenant, Set<String> listed) {
            Set<String> keys = new HashSet<>(listed);
            opened.forEach((key, of) -> {
                if (of.equals(tenant)) {
                    keys.add(key);
                }
            });
            keys.removeAll(closed);
            return keys;
        }
    }

    OpenUploads(S3Client s3, String lakeBucket, Clock clock) {
        this.s3 = s3;
        this.lakeBucket = lakeBucket;
        this.clock = clock;
    }

    /**
     * One more upload URL for the tenant, if it holds fewer than {@code most}: then {@link #opened} once its marker is
     * written, or {@link #released} if no URL is made after all.
     */
    boolean reserve(String tenant, int most) {
        Instant now = clock.instant();
        Listing recheck;
        synchronized (this) {
            if (count(tenant) < most) {
                making.merge(tenant, 1, Integer::sum);
                return true;
            }
            Instant checked = checkedAt.get(tenant);
            if (checked != null && now.isBefore(checked.plus(RECHECK))) {
                return false;
            }
            checkedAt.put(tenant, now);
            recheck = new Listing();
            listings.add(recheck);
        }
        Set<String> listed;
        try {
            listed = listed(tenant, most);
        } finally {
            synchronized (this) {
                listings.remove(recheck);
            }
        }
        synchronized (this) {
            // what S3 holds now, with what opened and closed here while it listed
            Set<String> keys = recheck.settle(tenant, listed);
            if (keys.isEmpty()) {
                open.remove(tenant);
            } else {
                open.put(tenant, keys);
            }
            if (count(tenant) < most) {
                making.merge(tenant, 1, Integer::sum);
                return true;
            }
            return false;
        }
    }

    /** The reserved URL was made: its marker is written. */
    synchronized void opened(String tenant, String fileKey) {
        released(tenant);
        open.computeIfAbsent(tenant, t -> new HashSet<>()).add(fileKey);
        listings.forEach(listing -> listing.opened.put(fileKey, tenant));
    }

    /** The reserved URL was not made. */
    synchronized void released(String tenant) {
        making.computeIfPresent(tenant, (t, n) -> n > 1 ? n - 1 : null);
    }

    /** The upload was confirmed or refused for good (on this instance; one it does not count changes nothing). */
    synchronized void closed(String tenant, String fileKey) {
        Set<String> keys = open.get(tenant);
        if (keys != null && keys.remove(fileKey) && keys.isEmpty()) {
            open.remove(tenant);
        }
        listings.forEach(listing -> listing.closed.add(fileKey));
    }

    synchronized int count(String tenant) {
        Set<String> keys = open.get(tenant);
        return (keys == null ? 0 : keys.size()) + making.getOrDefault(tenant, 0);
    }

    /** The sweep starts listing the open markers. */
    synchronized void listing() {
        notListed();
        sweep = new Listing();
        listings.add(sweep);
    }

    /** The sweep found these open (by tenant): with those opened and without those closed while it listed, the uploads. */
    synchronized void listed(Map<String, Set<String>> stillOpen) {
        Listing settled = sweep == null ? new Listing() : sweep;
        open.clear();
        stillOpen.forEach((tenant, keys) -> open.computeIfAbsent(tenant, t -> new HashSet<>()).addAll(keys));
        settled.opened.forEach((key, tenant) -> open.computeIfAbsent(tenant, t -> new HashSet<>()).add(key));
        open.values().forEach(keys -> keys.removeAll(settled.closed));
        open.values().removeIf(Set::isEmpty);
        notListed();
        checkedAt.clear();
    }

    /** The sweep failed: the uploads go on as they were. */
    synchronized void notListed() {
        if (sweep != null) {
            listings.remove(sweep);
            sweep = null;
        }
    }

    /** The tenant's open markers in S3 (file keys), up to {@code most}: one listing a stream (tenant after stream). */
    private Set<String> listed(String tenant, int most) {
        Set<String> listed = new HashSet<>();
        for (Stream stream : Stream.values()) {
            String prefix = UploadExpiry.PENDING + FileKey.tenantPrefix(stream, FileKey.SOURCE_API, tenant);
            for (S3Object marker : s3.listObjectsV2(b -> b.bucket(lakeBucket).prefix(prefix).maxKeys(most)).contents()) {
                listed.add(marker.key().substring(UploadExpiry.PENDING.length()));
            }
            if (listed.size() >= most) {
                break;
            }
        }
        return listed;
    }
}

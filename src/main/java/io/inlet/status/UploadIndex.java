package io.inlet.status;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.inlet.storage.FileKey;
import io.inlet.storage.LakeKeys;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Each tenant's uploads, newest first, as empty objects in the lake bucket:
 * {@code _uploads/tenant={tenant}/{inverted created_at}~{file key after data/tenants/objects/, '/' as '~'}}. Status
 * documents are named by file key, which starts with the stream and orders files by the minute at best, so listing
 * {@code _status/} cannot give one tenant's newest files; these names sort newest first under one prefix per
 * tenant, so one ListObjectsV2 (max-keys a page, start-after the last entry seen) gives a page, however many files
 * the tenant or the others have. An entry's name holds its file key, so nothing is read to page. The names have no
 * '/' after the tenant: a file-system store (the embedded S3) lists one folder for them.
 *
 * <p>A file-system store keeps a name as one file name, at most 255 bytes on common file systems, of which the
 * embedded S3's temporary names take 37 more: a name past {@link #MOST_NAME_CHARS} (keys of other writers may reach
 * 312 characters) is written short instead, {@code {inverted created_at}~{stream}~{source}~{dt}~{file name}}, the
 * tenant left to the folder (216 characters at most). Both forms are read.
 */
public final class UploadIndex {

    /** Milliseconds are inverted from this: 13 digits, sorting newest first until the year 2286. */
    private static final long LATEST_MILLIS = 9_999_999_999_999L;
    private static final Pattern ENTRY = Pattern.compile("(\\d{13})~([^/~][^/]*)");
    private static final Pattern SHORT_ENTRY = Pattern.compile("(\\d{13})~([a-z_]+)~([^/~=]+)~([^/~]+)~([^/~]+)");
    /** The longest name written in full (see the class comment). */
    static final int MOST_NAME_CHARS = 200;

    /** One listed upload: its name under the tenant's prefix (what a cursor continues after), file and time. */
    public record Entry(String name, FileKey file, Instant createdAt) {
    }

    /** Up to a page of entries, newest first; {@code next}: the name to continue after, when there are more. */
    public record Page(List<Entry> entries, Optional<String> next) {
    }

    private final S3Client s3;
    private final String bucket;

    public UploadIndex(S3Client s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
    }

    /** Enters the file, dated {@code createdAt}. The same file and time always give the same entry. */
    public void enter(FileKey file, Instant createdAt) {
        s3.putObject(b -> b.bucket(bucket).key(LakeKeys.uploadsOf(file.tenant()) + name(file, createdAt)),
                RequestBody.empty());
    }

    /** The tenant's newest {@code limit} entries after the entry named {@code after} (from the start when empty). */
    public Page page(String tenant, int limit, Optional<String> after) {
        String prefix = LakeKeys.uploadsOf(tenant);
        ListObjectsV2Response listed = s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix).maxKeys(limit)
                .startAfter(after.map(name -> prefix + name).orElse(null)));
        // S3 may answer a truncated page with no keys on it: the next cursor must then come from further on, never
        // be empty (an empty one says there is nothing more)
        while (listed.contents().isEmpty() && Boolean.TRUE.equals(listed.isTruncated())) {
            String token = listed.nextContinuationToken();
            listed = s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix).maxKeys(limit).continuationToken(token));
        }
        List<Entry> entries = new ArrayList<>(listed.contents().size());
        String last = null;
        for (S3Object object : listed.contents()) {
            last = object.key().substring(prefix.length());
            parse(tenant, last).ifPresent(entries::add);
        }
        return new Page(entries, Boolean.TRUE.equals(listed.isTruncated()) ? Optional.ofNullable(last) : Optional.empty());
    }

    /** The entry of this name under the tenant's prefix; empty for a name no entry of the tenant can have. */
    public static Optional<Entry> parse(String tenant, String name) {
        Matcher m = SHORT_ENTRY.matcher(name);
        String key;
        if (m.matches()) {
            key = FileKey.PREFIX + m.group(2) + "/source_system=" + m.group(3) + "/tenant=" + tenant + "/dt=" + m.group(4)
                    + "/" + m.group(5);
        } else {
            m = ENTRY.matcher(name);
            if (!m.matches()) {
                return Optional.empty();
            }
            key = FileKey.PREFIX + m.group(2).replace('~', '/');
        }
        Instant createdAt = Instant.ofEpochMilli(LATEST_MILLIS - Long.parseLong(m.group(1)));
        return FileKey.parse(key)
                .filter(file -> file.tenant().equals(tenant))
                .map(file -> new Entry(name, file, createdAt));
    }

    static String name(FileKey file, Instant createdAt) {
        long inverted = LATEST_MILLIS - Math.max(0, Math.min(LATEST_MILLIS, createdAt.toEpochMilli()));
        String full = String.format("%013d", inverted) + "~" + file.key().substring(FileKey.PREFIX.length()).replace('/', '~');
        if (full.length() <= MOST_NAME_CHARS) {
            return full;
        }
        return String.format("%013d", inverted) + "~" + file.stream().wireName() + "~" + file.source() + "~" + file.dt()
                + "~" + file.id() + "." + file.extension();
    }
}

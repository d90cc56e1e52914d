package io.inlet.storage.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.gaul.s3proxy.S3ErrorCode;
import org.gaul.s3proxy.S3ProxyException;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.SdkResponses;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.StorageClass;

/**
 * Makes the filesystem S3 behave like S3 towards listings: only complete objects are ever listed.
 *
 * <p>S3Proxy writes an object as a temporary file {@code {key}-{uuid}} beside its final place and renames it
 * when the body is complete. Its listings walk the directory, so a write in progress shows up as an object
 * named {@code {key}-{uuid}}, and a process killed mid-write leaves that file behind for good. Every write
 * therefore goes through a journal: before it starts, a small file under {@code journalDir} names the key
 * being written; after it ends (either way) the file is removed. Listings hide the temporary names of keys
 * being written, and {@link #recover} (run before the server accepts requests) deletes the temporary
 * files of every write a crash interrupted. Only names derived from journalled keys are touched, so an
 * object that merely looks like a temporary file is never hidden for long nor deleted.
 */
final class CompleteObjectsBlobStore extends ForwardingBlobStore {

    private static final Logger LOG = LoggerFactory.getLogger(CompleteObjectsBlobStore.class);
    private static final Pattern TEMP_NAME = Pattern.compile(
            "(.+)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    /** S3Proxy's names for its own bookkeeping, which its listings hide (AbstractNio2BlobStore, S3ProxyHandler). */
    private static final String MULTIPART_PREFIX = ".mpus-";
    private static final String MULTIPART_STUB_PREFIX = ".s3proxy-mpu-stub-";
    private static final String SLASH_KEY = ".s3proxy-slash";
    private static final String VERSIONS_FOLDER = ".s3proxy-versions";

    /** Conditional bodies up to this size wait in memory, larger ones on disk (at most ~200 request threads). */
    private static final int SMALL_CONDITIONAL_BODY = 64 * 1024;

    private final Path root;
    private final Path journalDir;
    /**
     * Striped, and held only while a conditional PUT checks and writes a body already on local disk: one held while a
     * body arrived (a tenant's slow upload with If-None-Match, or a lake part) held up every key of its stripe.
     */
    private final Object[] conditionalWrites = java.util.stream.IntStream.range(0, 256).mapToObj(i -> new Object()).toArray();
    /** "container/key" of the writes in progress in this process, with how many run at once. */
    private final ConcurrentHashMap<String, Integer> writing = new ConcurrentHashMap<>();

    CompleteObjectsBlobStore(BlobStore delegate, Path root, Path journalDir) {
        super(delegate);
        this.root = root;
        this.journalDir = journalDir;
    }

    /** Where conditional PUTs keep their bodies until they are written: beside the journal. */
    private static Path spoolOf(Path journalDir) {
        return journalDir.resolveSibling(journalDir.getFileName() + "-spool");
    }

    /** Deletes what interrupted writes left under {@code root}; returns how many temporary files it removed. */
    static int recover(Path root, Path journalDir) throws IOException {
        Files.createDirectories(journalDir);
        Path spool = spoolOf(journalDir);
        Files.createDirectories(spool);
        try (DirectoryStream<Path> bodies = Files.newDirectoryStream(spool)) {
            for (Path body : bodies) {
                Files.deleteIfExists(body);
            }
        }
        try {
            Files.setPosixFilePermissions(journalDir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException notPosix) {
            // the data directory's own protection applies
        }
        int removed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(journalDir)) {
            for (Path entry : entries) {
                List<String> lines = Files.readAllLines(entry, StandardCharsets.UTF_8);
                if (lines.size() >= 2) {
                    removed += removeTemporaryFiles(root, lines.get(0), lines.get(1));
                }
                Files.deleteIfExists(entry);
            }
        }
        if (removed > 0) {
            LOG.warn("Embedded S3: removed {} half-written object(s) left by an interrupted run", removed);
        }
        return removed;
    }

    private static int removeTemporaryFiles(Path root, String container, String key) throws IOException {
        Path target = root.resolve(container).resolve(key).normalize();
        if (!target.startsWith(root) || target.getParent() == null) {
            return 0;
        }
        String prefix = target.getFileName() + "-";
        int removed = 0;
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(target.getParent(), prefix + "*")) {
            for (Path sibling : siblings) {
                if (TEMP_NAME.matcher(sibling.getFileName().toString()).matches()
                        && sibling.getFileName().toString().length() == prefix.length() + 36) {
                    Files.deleteIfExists(sibling);
                    removed++;
                }
            }
        } catch (NoSuchFileException parentGone) {
            return 0;
        }
        return removed;
    }

    @Override
    public PutObjectResponse putBlob(PutObjectRequest request, InputStream content) {
        if (request.ifNoneMatch() == null && request.ifMatch() == null) {
            return journalled(request.bucket(), request.key(), () -> super.putBlob(request, content));
        }
        // S3Proxy checks a PUT's condition before it writes, so two conditional PUTs of one key can both pass
        // the check. AWS S3 makes the pair atomic (claims depend on it): here, a conditional PUT checks again
        // and writes under a lock per key, its body already received (the lock never waits on a sender).
        checkCondition(request);
        Object lock = conditionalWrites[Math.floorMod((request.bucket() + "/" + request.key()).hashCode(),
                conditionalWrites.length)];
        Path spooled = null;
        try {
            InputStream received;
            if (request.contentLength() != null && request.contentLength() <= SMALL_CONDITIONAL_BODY) {
                // claims and status documents: held in memory (a file per write would cost the small-batch path)
                received = new java.io.ByteArrayInputStream(content.readNBytes(SMALL_CONDITIONAL_BODY + 1));
            } else {
                spooled = Files.createTempFile(spoolOf(journalDir), "body-", ".tmp");
                Files.copy(content, spooled, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                received = Files.newInputStream(spooled);
            }
            try (InputStream body = received) {
                synchronized (lock) {
                    checkCondition(request);
                    return journalled(request.bucket(), request.key(), () -> super.putBlob(request, body));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the body of a conditional write", e);
        } finally {
            if (spooled != null) {
                try {
                    Files.deleteIfExists(spooled);
                } catch (IOException e) {
                    LOG.warn("Embedded S3: could not remove {} ({})", spooled, e.getMessage());
                }
            }
        }
    }

    private void checkCondition(PutObjectRequest request) {
        var existing = delegate().blobMetadataIfPresent(request.bucket(), request.key());
        boolean exists = existing != null;
        if ("*".equals(request.ifNoneMatch()) && exists
                || request.ifMatch() != null && (!exists || !sameETag(request.ifMatch(), existing.eTag()))) {
            throw new S3ProxyException(S3ErrorCode.PRECONDITION_FAILED);
        }
    }

    private static boolean sameETag(String a, String b) {
        return b != null && a.replace("\"", "").equals(b.replace("\"", ""));
    }

    @Override
    public CopyObjectResponse copyBlob(CopyObjectRequest request) {
        return journalled(request.destinationBucket(), request.destinationKey(), () -> super.copyBlob(request));
    }

    @Override
    public CompleteMultipartUploadResponse completeMultipartUpload(MultipartUpload upload,
            CompleteMultipartUploadRequest request) {
        return journalled(upload.containerName(), upload.blobName(),
                () -> super.completeMultipartUpload(upload, request));
    }

    @Override
    public ListObjectsV2Response list(ListObjectsV2Request request) {
        ListObjectsV2Response listed = listComplete(request.continuationToken() == null ? request
                : request.toBuilder().continuationToken(keyOfToken(request.continuationToken())).build());
        // S3 tokens are opaque; S3Proxy's is the page's last key, written into the XML answer as it is, so a key XML
        // cannot carry (U+0001) made the answer unreadable however the keys were encoded (encoding-type=url)
        return listed.nextContinuationToken() == null ? listed
                : listed.toBuilder().nextContinuationToken(tokenOfKey(listed.nextContinuationToken())).build();
    }

    private static final String TOKEN_PREFIX = "inlet-after.";

    static String tokenOfKey(String key) {
        return TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    /** The key a token of {@link #tokenOfKey} names; any other token as it is (a key, as S3Proxy's are). */
    static String keyOfToken(String token) {
        if (token.startsWith(TOKEN_PREFIX)) {
            try {
                return new String(Base64.getUrlDecoder().decode(token.substring(TOKEN_PREFIX.length())),
                        StandardCharsets.UTF_8);
            } catch (IllegalArgumentException notOurs) {
                return token;
            }
        }
        return token;
    }

    private ListObjectsV2Response listComplete(ListObjectsV2Request request) {
        ListObjectsV2Response listed = pageByNames(request).orElseGet(() -> super.list(request));
        List<S3Object> complete = listed.contents().stream()
                .filter(object -> !isTemporary(request.bucket(), object.key()))
                .toList();
        if (complete.size() == listed.contents().size()) {
            return listed;
        }
        return listed.toBuilder().contents(complete)
                .keyCount(complete.size() + listed.commonPrefixes().size())
                .build();
    }

    /**
     * S3 answers a listing of a page (max-keys) in time proportional to the page. S3Proxy reads every object under
     * the prefix (its attributes and ETag) before it cuts the page, so listing a prefix of N objects page by page costs
     * N reads per page, N * N / 1000 in all: 20,000 objects took 1.3 s a page and 25 s for the whole listing, and the
     * inbox reconciliation, the backlog probe and a failed file's part search list whole buckets or tenants. Pages
     * without a delimiter are answered here from names instead: the folders under the prefix are walked in key order
     * (Java's string order, as S3Proxy's own listing: S3's UTF-8 byte order but for keys with characters past U+FFFF
     * beside ones from U+E000 up),
     * skipping every folder whose keys all come before the page's start, and stopping one key past the page; only the
     * page's objects are read. Whatever this walk does not know is left to S3Proxy: a directory marker object (a key
     * ending in '/'), a symbolic link, a name starting with '.' other than S3Proxy's own bookkeeping (hidden from
     * listings as S3Proxy hides it), a versioned bucket.
     */
    private Optional<ListObjectsV2Response> pageByNames(ListObjectsV2Request request) {
        if (request.maxKeys() == null || request.maxKeys() < 1
                || request.delimiter() != null && !request.delimiter().isEmpty()) {
            return Optional.empty();
        }
        String prefix = request.prefix() == null ? "" : request.prefix();
        String folderKey = prefix.substring(0, prefix.lastIndexOf('/') + 1);
        Path container = root.resolve(request.bucket()).normalize();
        Path folder = container.resolve(folderKey).normalize();
        if (!container.startsWith(root) || container.equals(root) || !folder.startsWith(container)
                || !folderKey.isEmpty() && folder.equals(container)) {
            return Optional.empty();
        }
        String after = request.continuationToken() != null ? request.continuationToken() : request.startAfter();
        Page page = new Page(request.bucket(), container, prefix, after == null ? "" : after, request.maxKeys());
        try {
            if (hasAttributes(container, "versioning") || !page.walk(folder, folderKey)) {
                return Optional.empty();
            }
        } catch (NoSuchFileException | NotDirectoryException | DirectoryIteratorException changedMeanwhile) {
            // a folder gone or changed while walked: S3Proxy's own listing answers for it
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<S3Object> objects = new ArrayList<>();
        for (String key : page.keys) {
            HeadObjectResponse object = delegate().blobMetadataIfPresent(request.bucket(), key);
            if (object != null) {
                objects.add(SdkResponses.objectEntry(key, object.eTag(), object.lastModified(), object.contentLength(),
                        StorageClass.STANDARD));
            }
        }
        // a page cut short names its last key as where the next one starts (S3Proxy's token is the same)
        return Optional.of(SdkResponses.objectsPage(objects, List.of(),
                page.truncated ? page.keys.get(page.keys.size() - 1) : null));
    }

    /** One page's keys, gathered by walking folders in key order. */
    private final class Page {
        private final String bucket;
        private final Path container;
        private final String prefix;
        private final String after;
        private final int size;
        final List<String> keys = new ArrayList<>();
        boolean truncated;

        Page(String bucket, Path container, String prefix, String after, int size) {
            this.bucket = bucket;
            this.container = container;
            this.prefix = prefix;
            this.after = after;
            this.size = size;
        }

        /** The page's keys in {@code dir} (whose keys start with {@code dirKey}); false when S3Proxy must answer. */
        boolean walk(Path dir, String dirKey) throws IOException {
            if (!dir.equals(container) && hasAttributes(dir, null)) {
                return false; // a directory marker object: listed by S3Proxy as the key "dirKey"
            }
            List<String[]> entries = new ArrayList<>(); // {order, key, "d" for a folder}
            try (DirectoryStream<Path> listing = Files.newDirectoryStream(dir)) {
                for (Path entry : listing) {
                    String name = entry.getFileName().toString();
                    if (name.startsWith(".")) {
                        if (name.startsWith(MULTIPART_PREFIX) || name.equals(SLASH_KEY) || dir.equals(container)
                                && (name.equals(VERSIONS_FOLDER) || name.startsWith(MULTIPART_STUB_PREFIX))) {
                            continue; // S3Proxy's bookkeeping, which its listings hide
                        }
                        return false;
                    }
                    String key = dirKey + name;
                    BasicFileAttributes attributes = Files.readAttributes(entry, BasicFileAttributes.class,
                            LinkOption.NOFOLLOW_LINKS);
                    if (attributes.isSymbolicLink() || attributes.isOther()) {
                        return false;
                    }
                    // a folder's keys all start with "key/": it takes its place in key order as that
                    String order = attributes.isDirectory() ? key + "/" : key;
                    boolean onPrefix = order.startsWith(prefix) || attributes.isDirectory() && prefix.startsWith(order);
                    boolean allBeforeStart = order.compareTo(after) <= 0
                            && !(attributes.isDirectory() && after.startsWith(order));
                    if (onPrefix && !allBeforeStart) {
                        entries.add(new String[] {order, key, attributes.isDirectory() ? "d" : ""});
                    }
                }
            }
            entries.sort((a, b) -> a[0].compareTo(b[0]));
            for (String[] entry : entries) {
                if (entry[2].isEmpty()) {
                    // a write in progress is not on the page and takes no place on it
                    if (!entry[1].startsWith(prefix) || isTemporary(bucket, entry[1])) {
                        continue;
                    }
                    if (keys.size() == size) {
                        truncated = true;
                        return true;
                    }
                    keys.add(entry[1]);
                } else {
                    if (!walk(dir.resolve(entry[1].substring(dirKey.length())), entry[0])) {
                        return false;
                    }
                    if (truncated) {
                        return true;
                    }
                }
            }
            return true;
        }
    }

    /**
     * Whether {@code path} carries S3Proxy's extended attributes: any ({@code name} null), or the one named. Where
     * the file system has none, nothing carries them.
     */
    private static boolean hasAttributes(Path path, String name) throws IOException {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(path, UserDefinedFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        if (view == null) {
            return false;
        }
        try {
            List<String> names = view.list();
            return name == null ? !names.isEmpty() : names.contains(name) || names.contains("user." + name);
        } catch (UnsupportedOperationException | java.nio.file.FileSystemException none) {
            return false;
        }
    }

    /**
     * A listed name is a temporary file when it is {@code {key}-{uuid}} of a key being written now, or when the
     * file vanished since it was listed (renamed into place as the write finished).
     */
    private boolean isTemporary(String container, String name) {
        Matcher temp = TEMP_NAME.matcher(name);
        if (!temp.matches()) {
            return false;
        }
        if (writing.containsKey(container + "/" + temp.group(1))) {
            return true;
        }
        return !Files.exists(root.resolve(container).resolve(name));
    }

    private <T> T journalled(String container, String key, Supplier<T> write) {
        String id = container + "/" + key;
        Path entry = journalDir.resolve(UUID.randomUUID().toString());
        try {
            Files.writeString(entry, container + "\n" + key + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot journal the write of " + id, e);
        }
        writing.merge(id, 1, Integer::sum);
        try {
            return write.get();
        } finally {
            writing.computeIfPresent(id, (k, n) -> n == 1 ? null : n - 1);
            try {
                Files.deleteIfExists(entry);
            } catch (IOException e) {
                LOG.warn("Embedded S3: could not remove journal entry {} ({})", entry, e.getMessage());
            }
        }
    }
}

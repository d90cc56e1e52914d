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
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
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

    private final Path root;
    private final Path journalDir;
    /** Striped: conditional PUTs are small (claims), so sharing a lock now and then costs nothing. */
    private final Object[] conditionalWrites = java.util.stream.IntStream.range(0, 256).mapToObj(i -> new Object()).toArray();
    /** "container/key" of the writes in progress in this process, with how many run at once. */
    private final ConcurrentHashMap<String, Integer> writing = new ConcurrentHashMap<>();

    CompleteObjectsBlobStore(BlobStore delegate, Path root, Path journalDir) {
        super(delegate);
        this.root = root;
        this.journalDir = journalDir;
    }

    /** Deletes what interrupted writes left under {@code root}; returns how many temporary files it removed. */
    static int recover(Path root, Path journalDir) throws IOException {
        Files.createDirectories(journalDir);
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
        // and writes under a lock per key.
        Object lock = conditionalWrites[Math.floorMod((request.bucket() + "/" + request.key()).hashCode(),
                conditionalWrites.length)];
        synchronized (lock) {
            var existing = delegate().blobMetadataIfPresent(request.bucket(), request.key());
            boolean exists = existing != null;
            if ("*".equals(request.ifNoneMatch()) && exists
                    || request.ifMatch() != null && (!exists || !sameETag(request.ifMatch(), existing.eTag()))) {
                throw new S3ProxyException(S3ErrorCode.PRECONDITION_FAILED);
            }
            return journalled(request.bucket(), request.key(), () -> super.putBlob(request, content));
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
        ListObjectsV2Response listed = pageOfOneFolder(request).orElseGet(() -> super.list(request));
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
     * the prefix (its attributes and ETag) before it cuts the page, so a folder of 10,000 objects costs 10,000 reads
     * for a page of 50 (the upload index, io.inlet.status.UploadIndex, is such a folder). A listing of the files of
     * one folder is answered here from the folder's names, reading only the page's objects. Whatever needs more is
     * left to S3Proxy: a delimiter, the bucket's top level (S3Proxy's own bookkeeping lives there), a name starting
     * with '.', or a sub-folder whose keys could fall on the page.
     */
    private Optional<ListObjectsV2Response> pageOfOneFolder(ListObjectsV2Request request) {
        String prefix = request.prefix();
        int slash = prefix == null ? -1 : prefix.lastIndexOf('/');
        if (request.maxKeys() == null || request.maxKeys() < 1 || slash < 1
                || request.delimiter() != null && !request.delimiter().isEmpty()) {
            return Optional.empty();
        }
        String folderKey = prefix.substring(0, slash + 1);
        String namePrefix = prefix.substring(slash + 1);
        Path container = root.resolve(request.bucket()).normalize();
        Path folder = container.resolve(folderKey).normalize();
        if (!folder.startsWith(container) || folder.equals(container)) {
            return Optional.empty();
        }
        List<String> keys = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (name.startsWith(".")) {
                    return Optional.empty();
                }
                if (name.startsWith(namePrefix)) {
                    keys.add(folderKey + name);
                }
            }
        } catch (NoSuchFileException | NotDirectoryException | DirectoryIteratorException nothingThere) {
            // gone or changed while listed: S3Proxy's own listing answers for it
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Collections.sort(keys);
        String after = request.continuationToken() != null ? request.continuationToken() : request.startAfter();
        int next = 0;
        if (after != null) {
            int at = Collections.binarySearch(keys, after);
            next = at >= 0 ? at + 1 : -at - 1;
            // a folder named like the start of `after` holds keys that come after it
            for (String key : keys.subList(0, next)) {
                if (after.startsWith(key) && Files.isDirectory(container.resolve(key), LinkOption.NOFOLLOW_LINKS)) {
                    return Optional.empty();
                }
            }
        }
        List<S3Object> page = new ArrayList<>();
        for (; next < keys.size() && page.size() < request.maxKeys(); next++) {
            String key = keys.get(next);
            if (Files.isDirectory(container.resolve(key), LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            // a write in progress is not on the page and takes no place on it (list() would drop it after the cut,
            // and a page of nothing but such names would look like the end to a caller paging by its last key)
            if (isTemporary(request.bucket(), key)) {
                continue;
            }
            HeadObjectResponse object = delegate().blobMetadataIfPresent(request.bucket(), key);
            if (object != null) {
                page.add(SdkResponses.objectEntry(key, object.eTag(), object.lastModified(), object.contentLength(),
                        StorageClass.STANDARD));
            }
        }
        // the page is full when names are left (the loop ends on the first of the two)
        return Optional.of(SdkResponses.objectsPage(page, List.of(), next < keys.size() ? page.get(page.size() - 1).key() : null));
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

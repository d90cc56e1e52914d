package io.inlet.dropfolder;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.inlet.FileMagic;
import io.inlet.metrics.IngestMeters;
import io.inlet.ops.LogContext;
import io.inlet.pipeline.CrashPoints;
import io.inlet.schema.Stream;
import io.inlet.status.StatusStore;
import io.inlet.status.UploadState;
import io.inlet.status.UploadStatus;
import io.inlet.queue.InboxFile;
import io.inlet.queue.WorkQueue;
import io.inlet.storage.Buckets;
import io.inlet.storage.FileKey;
import io.inlet.storage.InboxWrites;
import io.inlet.storage.S3Objects;
import io.inlet.tenant.ApiKeys;
import io.inlet.tenant.TenantId;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Hands a complete file from the drop folder ({@code {tenant}/{stream}/name.jsonl[.gz]}, or a zip archive of such
 * files, {@code name.zip}) over to the inbox bucket, streamed from disk. Its file key is derived from the file itself
 * (path, size, modification time, and what tells it from another file given the same ones: its inode number and the
 * drop folder's own id), so a file picked up again after a crash between the upload and the local move
 * gets the same key, and is not uploaded twice once the inbox or the archive has it, while no two files share one
 * (two instances' drop folders, a file copied in again under the same name and time).
 */
public final class DropFolderIntake {

    private static final Logger LOG = LoggerFactory.getLogger(DropFolderIntake.class);
    /** Where taken files go, beside their file key, and refused ones, beside their reason (the service's own folders). */
    private static final String DONE = ".done";
    private static final String ERROR = ".error";
    /** A file may be dated this far ahead of the service's clock (the clock of the machine that wrote it runs ahead). */
    private static final Duration FUTURE_MARGIN = Duration.ofHours(1);
    /** The file in the drop folder holding its id (a dot-file: never taken). */
    static final String FOLDER_ID = ".inlet-drop-folder-id";

    private final S3Client s3;
    private final InboxWrites inboxWrites;
    private final Buckets buckets;
    private final ApiKeys tenants;
    private final StatusStore statuses;
    private final Path root;
    private final long maxBytes;
    private final CrashPoints crashPoints;
    private final WorkQueue queue;
    private final IngestMeters meters;
    private final DropFolderFilter listing;
    private final Clock clock;
    /**
     * One file per file being handed over ({@code {file key's id}}: its key and path), from before its queued status is
     * written until it is in {@code .done/} or {@code .error/}: what was under way when the service stopped
     * ({@link #settleInterrupted}).
     */
    private final Path taking;
    /** The drop folder's own id ({@link #FOLDER_ID}): files of two instances' folders never share a file key. */
    private final String folderId;

    public DropFolderIntake(S3Client s3, InboxWrites inboxWrites, Buckets buckets, ApiKeys tenants, StatusStore statuses, Path root, long maxBytes,
            CrashPoints crashPoints, WorkQueue queue, IngestMeters meters, DropFolderFilter listing, Clock clock,
            Path taking) {
        this.taking = taking;
        this.listing = listing;
        this.clock = clock;
        this.queue = queue;
        this.meters = meters;
        this.s3 = s3;
        this.inboxWrites = inboxWrites;
        this.buckets = buckets;
        this.tenants = tenants;
        this.statuses = statuses;
        this.root = root;
        this.maxBytes = maxBytes;
        this.crashPoints = crashPoints;
        this.folderId = folderId(root);
    }

    /**
     * The id kept in the drop folder itself ({@code .inlet-drop-folder-id}, made once, at random): it goes with the
     * files (a new data directory or instance id does not change it), and tells two instances' folders apart even at
     * the same path on two machines.
     */
    static String folderId(Path root) {
        Path file = root.resolve(FOLDER_ID);
        try {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                Path made = Files.createTempFile(root, ".inlet-drop-folder-id", ".tmp");
                try {
                    Files.writeString(made, UUID.randomUUID() + "\n");
                    // whole, and never over one already there (a process sharing the folder made it first): a link,
                    // which unlike a rename does not replace
                    Files.createLink(file, made);
                } catch (UnsupportedOperationException noLinks) {
                    moveUnlessThere(made, file);
                } catch (FileAlreadyExistsException madeMeanwhile) {
                    // read below
                } finally {
                    Files.deleteIfExists(made);
                }
            }
            if (Files.isSymbolicLink(file) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalStateException(file + " must be a regular file (the drop folder's id)");
            }
            String id = Files.readString(file).trim();
            if (id.isEmpty() || id.length() > 100) {
                throw new IllegalStateException(file + " does not hold the drop folder's id: delete it to have a new one"
                        + " made (a file whose hand-over a stop cut short may then be taken once more)");
            }
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("The drop folder's id could not be read or made in " + root, e);
        }
    }

    /** The service's own folders in the drop folder: where taken and refused files go. */
    public static List<Path> ownFolders(Path root) {
        return List.of(root.resolve(DONE), root.resolve(ERROR));
    }

    public void handOver(Exchange exchange) throws IOException {
        String relative = relativeName(exchange);
        // First, before anything opens it: links, hard-linked files and pipes are refused unread.
        try (DropEntry entry = DropEntry.find(root, relative)) {
            BasicFileAttributes attributes;
            FileKey key;
            try {
                attributes = entry.checkedAttributes();
                if (changedSinceListed(exchange, attributes)) {
                    // settled when listed, written to again since (a poll's files are handed over one after another)
                    LOG.info("Drop folder: {} changed after it was found settled; it is taken once it settles again",
                            relative);
                    notStoredAfterAll(exchange, "the file changed before it was stored; it is taken again once it"
                            + " stops changing");
                    return;
                }
                key = fileKey(relative, attributes, entry);
            } catch (NoSuchFileException gone) {
                LOG.info("Drop folder: {} is gone (moved or deleted after it was listed); nothing to take", relative);
                notStoredAfterAll(exchange, "the file was moved or deleted before it was stored");
                return;
            } catch (DropEntry.Replaced replaced) {
                // nothing read yet; an earlier attempt of this exchange (an S3 failure retried) may have said queued
                LOG.info("Drop folder: {} was replaced by another file as it was looked at; that one is taken next", relative);
                notStoredAfterAll(exchange, "the file was replaced by another one before it was stored; the other one is"
                        + " taken instead");
                return;
            }
            try (LogContext.Scope about = LogContext.about(key)) {
                handOver(exchange, key, entry, relative, attributes.size(), attributes.lastModifiedTime().toMillis());
            }
            crashPoints.reached(CrashPoints.DROPFOLDER_AFTER_INBOX_WRITE);
            Path sidecar = root.resolve(DONE).resolve(relative + ".file_key");
            Files.createDirectories(sidecar.getParent());
            Files.writeString(sidecar, key.key() + "\n");
            exchange.setProperty(LogContext.FILE_KEY, key.key());
            if (!entry.moveInto(sidecar.getParent())) {
                LOG.info("Drop folder: {} was replaced by another file while it was taken; that one is taken next", relative);
            }
            Files.deleteIfExists(takingFile(key.key()));
        }
    }

    private Path takingFile(String fileKey) {
        return taking.resolve(FileKey.parse(fileKey).map(FileKey::id).orElseThrow());
    }

    /**
     * At start: files whose hand-over the service was in when it stopped. One whose key the inbox or the archive
     * has was stored; one still in its folder as it was is taken again under the same key by the next look; one
     * changed or gone since would never be (a changed file is a new file, with a key of its own), and its queued
     * status would stay queued for good: it is marked failed, saying why.
     */
    public void settleInterrupted() {
        try (var entries = Files.list(Files.createDirectories(taking))) {
            for (Path file : (Iterable<Path>) entries::iterator) {
                settleInterrupted(file);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Drop folder: could not look at the hand-overs under way when the service stopped ({}); at the"
                    + " next start", e.getMessage());
        }
    }

    private void settleInterrupted(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.size() < 2 || FileKey.parse(lines.get(0)).isEmpty()) {
            Files.deleteIfExists(file);
            return;
        }
        String fileKey = lines.get(0);
        String relative = URLDecoder.decode(lines.get(1), StandardCharsets.UTF_8);
        if (S3Objects.head(s3, buckets.inbox(), fileKey).isPresent()
                || S3Objects.head(s3, buckets.archive(), fileKey).isPresent()) {
            Files.deleteIfExists(file); // stored: the next look only moves the file, if it is still there
            return;
        }
        if (fileKey.equals(currentKey(relative))) {
            return; // taken again by the next look, under the same key (which ends with this note deleted)
        }
        if (!markFailed(fileKey, "not stored under this file key: the service stopped while it stored the file, and"
                + " the file was changed, moved or deleted before it could be stored again (a changed file still in"
                + " the drop folder is taken as a new file, with a file key of its own)")) {
            return; // at the next start
        }
        Files.deleteIfExists(file);
        LOG.info("Drop folder: {} ({}) was not stored before the service stopped and changed since: its status says"
                + " it failed", relative, fileKey);
    }

    /** The key the file at {@code relative} would get now, or null (gone, refused, unreadable). */
    private String currentKey(String relative) {
        try (DropEntry entry = DropEntry.find(root, relative)) {
            return fileKey(relative, entry.checkedAttributes(), entry).key();
        } catch (IOException | RuntimeException notThere) {
            return null;
        }
    }

    /** The size or time the file has now is not what the listing found settled. */
    private static boolean changedSinceListed(Exchange exchange, BasicFileAttributes attributes) {
        Long size = exchange.getMessage().getHeader(Exchange.FILE_LENGTH, Long.class);
        Long modified = exchange.getMessage().getHeader(Exchange.FILE_LAST_MODIFIED, Long.class);
        return size != null && modified != null
                && (attributes.size() != size || attributes.lastModifiedTime().toMillis() != modified);
    }

    /** An earlier attempt of this exchange (an S3 failure retried) may have said queued: that file key fails. */
    private void notStoredAfterAll(Exchange exchange, String reason) {
        String earlier = exchange.getProperty(LogContext.FILE_KEY, String.class);
        if (earlier != null && markFailed(earlier, reason)) {
            deleteQuietly(takingFile(earlier));
        }
    }

    /** Tenant and stream from the folders; the file key from the file itself, or {@link DropRefused} saying why not. */
    private FileKey fileKey(String relative, BasicFileAttributes attributes, DropEntry entry) throws IOException {
        String[] parts = relative.split("/");
        if (parts.length != 3) {
            throw new DropRefused("the file is not in a {tenant}/{stream}/ folder (it is at '" + relative + "')");
        }
        String tenant = parts[0];
        String streamName = parts[1];
        String name = parts[2];
        if (!TenantId.isValid(tenant) || !tenants.isKnownTenant(tenant)) {
            throw new DropRefused("unknown tenant '" + tenant + "': create it with `keys create --tenant " + tenant
                    + "` or move the file to an existing tenant's folder");
        }
        Stream stream = Stream.fromWireName(streamName).orElseThrow(() -> new DropRefused("unknown stream '" + streamName
                + "': the folder must be one of " + Stream.wireNames()));
        if (!name.endsWith(".jsonl") && !name.endsWith(".jsonl.gz") && !name.endsWith(".zip")) {
            throw new DropRefused("only .jsonl, .jsonl.gz and .zip files are taken, not '" + name + "'");
        }
        long size = attributes.size();
        if (size > maxBytes) {
            throw new DropRefused("the file is " + size + " bytes, over the limit of " + maxBytes + " bytes");
        }
        long modified = attributes.lastModifiedTime().toMillis();
        Instant now = clock.instant();
        if (Instant.ofEpochMilli(modified).isAfter(now.plus(FUTURE_MARGIN))) {
            // its time names its file key and the day its contacts and accounts go to: a year 3000 would stay there
            throw new DropRefused("its modification time, " + Instant.ofEpochMilli(modified) + ", is more than "
                    + FUTURE_MARGIN.toMinutes() + " minutes ahead of this service's clock (" + now + "): set it right"
                    + " (touch the file) and move it back into its folder");
        }
        // The same file (found again after a crash) always gives the same key; two files never do, whichever drop
        // folder they are in, whatever their names, sizes and times.
        String identity = folderId + "\n" + relative + "\n" + size + "\n" + modified + "\n" + entry.identity();
        return FileKey.create(stream, FileKey.SOURCE_DROP_FOLDER, tenant, Instant.ofEpochMilli(modified),
                UUID.nameUUIDFromBytes(identity.getBytes(StandardCharsets.UTF_8)).toString(),
                keyEnding(entry.head(FileMagic.HEAD_BYTES)));
    }

    private static void moveUnlessThere(Path from, Path to) throws IOException {
        try {
            Files.move(from, to);
        } catch (FileAlreadyExistsException madeMeanwhile) {
            // the one there is the folder's
        }
    }

    private void handOver(Exchange exchange, FileKey key, DropEntry entry, String relative, long size, long modified) {
        if (S3Objects.head(s3, buckets.inbox(), key.key()).isPresent()
                || S3Objects.head(s3, buckets.archive(), key.key()).isPresent()) {
            LOG.info("Drop folder: {} was handed over before (as {}); not uploading it again", relative, key);
            return;
        }
        // Queued is recorded before the upload: once the object exists the pipeline may take over the document.
        // Before either, the hand-over is noted locally: a stop before the upload leaves a queued status that only
        // this note can settle (settleInterrupted).
        try {
            Files.createDirectories(taking);
            // the path encoded: a file name may hold a line break
            Files.writeString(takingFile(key.key()), key.key() + "\n"
                    + URLEncoder.encode(relative, StandardCharsets.UTF_8) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("The data directory refused a note of the hand-over of " + relative, e);
        }
        // from here a failure settles this key's status (and its note)
        exchange.setProperty(LogContext.FILE_KEY, key.key());
        UploadStatus status = UploadStatus.of(key.key(), key.tenant(), key.stream().wireName(), UploadState.QUEUED);
        status.bytesTotal = size;
        status.createdAt = Instant.ofEpochMilli(modified).toString();
        status.confirmedAt = statuses.now();
        statuses.write(status);
        crashPoints.reached(CrashPoints.DROPFOLDER_AFTER_STATUS);
        // once, whatever S3's answers (a retried PUT whose first attempt was stored could put the file back after
        // it was processed)
        try {
            inboxWrites.putStreamed(key.key(), "application/octet-stream",
                    RequestBody.fromContentProvider(entry.content(), size, "application/octet-stream"));
        } catch (InterruptedException stopping) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("The service is stopping: the hand-over of " + relative + " was not confirmed",
                    stopping);
        }
        queue.announce(new InboxFile(key.key(), size));
        meters.received(key, size, IngestMeters.VIA_DROP_FOLDER);
        LOG.info("Drop folder: {} handed over as {}", relative, key);
    }

    /**
     * Failure route step (the file's dead letter): writes {@code .error/{path}.reason.txt}, one sentence, then moves
     * the entry there, from the folder it was found in. It never throws: an entry it cannot move (a file of a folder's
     * name is in the way in .error/, the disk refuses) is renamed to a dot-name in its folder, which is never taken;
     * one it cannot reach any more (its folder became a link) is left where it is and not handed over again while it
     * stays as it is ({@link DropFolderFilter}). Either is said in the log.
     */
    public void recordFailure(Exchange exchange) {
        String relative = relativeName(exchange);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String reason = cause instanceof DropRefused ? cause.getMessage()
                : "the file could not be handed over (" + (cause == null ? "unknown error" : cause.getMessage())
                        + "); move it back into its folder to try again";
        Path reasonFile = root.resolve(ERROR).resolve(relative + ".reason.txt");
        try (DropEntry entry = DropEntry.find(root, relative)) {
            try {
                Files.createDirectories(reasonFile.getParent());
                Files.writeString(reasonFile, reason + "\n");
                entry.moveInto(reasonFile.getParent());
                LOG.warn("Drop folder: {} moved to .error/: {}", relative, reason);
            } catch (IOException | RuntimeException notMoved) {
                deleteQuietly(reasonFile);
                String hidden = entry.hideInPlace();
                LOG.warn("Drop folder: {} is refused ({}) but could not be moved to .error/ ({}); renamed to {} in its"
                        + " folder instead", relative, reason, notMoved.getMessage(), hidden);
            }
        } catch (IOException | RuntimeException notMoved) {
            listing.leaveInPlace(relative, exchange.getMessage().getHeader(Exchange.FILE_LENGTH, 0L, Long.class),
                    exchange.getMessage().getHeader(Exchange.FILE_LAST_MODIFIED, 0L, Long.class));
            LOG.warn("Drop folder: {} is refused ({}) but could be neither moved to .error/ nor renamed ({}); it is"
                    + " left where it is and not taken again until it changes", relative, reason, notMoved.getMessage());
        }
        String fileKey = exchange.getProperty(LogContext.FILE_KEY, String.class);
        if (fileKey != null && markFailed(fileKey, reason)) {
            deleteQuietly(takingFile(fileKey));
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.debug("Drop folder: {} not deleted ({})", file, e.getMessage());
        }
    }

    /**
     * The status said queued before the upload failed: say what happened instead (S3 permitting). True when the key's
     * status is settled: stored after all, or now failed (false: S3 refused, said in the log).
     */
    private boolean markFailed(String fileKey, String reason) {
        try {
            // stored after all (an answer lost, then retries that failed): the pipeline has it, or already archived it
            if (S3Objects.head(s3, buckets.inbox(), fileKey).isPresent()
                    || S3Objects.head(s3, buckets.archive(), fileKey).isPresent()) {
                return true;
            }
            FileKey key = FileKey.parse(fileKey).orElseThrow();
            // the queued document, so that the file keeps its one entry in the upload index (and its created_at)
            UploadStatus status = statuses.read(fileKey)
                    .orElseGet(() -> UploadStatus.of(fileKey, key.tenant(), key.stream().wireName(), null));
            status.state = UploadState.FAILED;
            status.failureReason = reason;
            status.finishedAt = statuses.now();
            statuses.write(status);
            return true;
        } catch (RuntimeException e) {
            LOG.warn("Drop folder: could not record the failure of {} in its status ({}); its note in the data"
                    + " directory settles it at the next start", fileKey, e.getMessage());
            return false;
        }
    }

    /** The file key's ending, after what the file holds (its first bytes), as for any inbox file: gzip, zip or JSONL. */
    private static String keyEnding(byte[] head) {
        if (FileMagic.isGzip(head)) {
            return "jsonl.gz";
        }
        return FileMagic.isZip(head) ? FileKey.ZIP : "jsonl";
    }

    private static String relativeName(Exchange exchange) {
        return exchange.getMessage().getHeader(Exchange.FILE_NAME, String.class).replace(File.separatorChar, '/');
    }
}

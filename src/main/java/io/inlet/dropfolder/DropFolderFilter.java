package io.inlet.dropfolder;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.apache.camel.component.file.GenericFile;
import org.apache.camel.component.file.GenericFileFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the drop folder's listing passes on to the intake. Camel's recursive listing follows symbolically linked
 * folders, and would hand over the files of whatever folder a link points at: such a folder is skipped, and said so
 * once in the log (a folder cannot be moved to .error/ as a file is). A file whose name is too long for the name of
 * its {@code .file_key} or {@code .reason.txt} beside it is skipped the same way (it could be neither taken nor
 * refused in order), and so is one whose name is not valid in the JVM's file-name encoding (it cannot be opened by
 * the name it is listed under). And an entry the intake could neither move out of the folder nor rename in place (its folder
 * became a link) is skipped while it stays as it was, instead of being taken again at every look and holding up
 * every other tenant's files (the last 10,000 such; the intake renames what it can, so this stays small). Files are
 * otherwise let through once settled, to be taken or refused one by one with a reason ({@link DropEntry}).
 * <p>
 * Settled: the file's time is at least {@code inlet.dropfolder.settle-ms} in the past (nothing wrote to it since), or
 * else its size and time stayed the same at every look for that long, timed by this service's clock from the first
 * look that saw them (a file being written, or one dated ahead of this clock). Decided here, at each look, without
 * waiting: Camel's "changed" read lock waited on the one polling thread, up to 10 s for each file still being
 * written, in front of every tenant's files, and forever for one dated in the future. The intake checks at hand-over
 * that the file is still as listed. At most {@value #MAX_TRACKED} files are followed at once (the others wait for
 * room): a folder of a million files written at once costs no more memory than that.
 */
public final class DropFolderFilter implements GenericFileFilter<File> {

    private static final Logger LOG = LoggerFactory.getLogger(DropFolderFilter.class);
    /** Files one tenant's folder may give to one poll (of at most 100); a poll that took some looks again at once. */
    static final int MOST_PER_TENANT_A_POLL = 25;
    /** How this JVM turns file names into text: the locale's, when it started (LANG, LC_ALL). */
    public static final String FILE_NAME_ENCODING = System.getProperty("sun.jnu.encoding", "unknown");
    /** Longest file name taken: the reason file beside it adds 11 bytes, and names stop at 255 bytes. */
    static final int MAX_NAME_BYTES = 240;
    private static final int MAX_REMEMBERED = 10_000;

    /** A file not seen for this long (taken, moved away, or not reached by the listings) is forgotten. */
    private static final long FORGET_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** Files followed while they settle, at most (about 200 bytes each). */
    static final int MAX_TRACKED = 100_000;

    private final Set<String> reported = boundedSet();
    /** Entries left in place (path, size and time), the oldest forgotten first. */
    private final Set<String> leftInPlace = boundedSet();
    /** Settled files the poll under way found, per tenant folder (those past the cap included). */
    private final Map<String, Integer> takenThisPoll = new HashMap<>();
    private boolean capped;
    private final long settleNanos;
    private final LongSupplier nanoTime;
    private final LongSupplier wallMillis;
    /** Files looked at and not settled yet, or settled and not gone yet, by path. */
    private final Map<String, Seen> seen = new HashMap<>();
    private long forgotAt;

    /** A file's size and time, since when they were the same, and when it was last looked at. */
    private record Seen(long size, long modified, long since, long lastSeen) {
    }

    /** @param settle how long a file's size and time must stay the same before it is taken */
    public DropFolderFilter(Duration settle, Clock clock) {
        this(settle, System::nanoTime, clock::millis);
    }

    DropFolderFilter(Duration settle, LongSupplier nanoTime, LongSupplier wallMillis) {
        this.settleNanos = settle.toNanos();
        this.nanoTime = nanoTime;
        this.wallMillis = wallMillis;
        this.forgotAt = nanoTime.getAsLong();
    }

    @Override
    public boolean accept(GenericFile<File> entry) {
        if (!reachableByName(entry)) {
            if (reported.add(entry.getAbsoluteFilePath())) {
                LOG.warn("Drop folder: {} is neither taken nor refused: its name is not valid in the encoding this service"
                        + " reads file names in ({}), so it cannot be opened by the name it is listed under (give files"
                        + " UTF-8 names and run the service with a UTF-8 locale, such as LANG=C.UTF-8)",
                        entry.getRelativeFilePath(), FILE_NAME_ENCODING);
            }
            return false;
        }
        if (entry.isDirectory() && Files.isSymbolicLink(entry.getFile().toPath())) {
            if (reported.add(entry.getAbsoluteFilePath())) {
                LOG.warn("Drop folder: {} is a symbolic link to a folder; it is not followed, so nothing in it is taken"
                        + " (move the files themselves into the drop folder)", entry.getRelativeFilePath());
            }
            return false;
        }
        if (entry.isDirectory()) {
            Path folder = entry.getFile().toPath();
            if (!Files.isReadable(folder) || !Files.isExecutable(folder)) {
                // Camel lists it as empty: its files would wait without a word
                if (reported.add(entry.getAbsoluteFilePath())) {
                    LOG.warn("Drop folder: {} cannot be read by the service's user, so nothing in it is taken (give the"
                            + " service's user read and search access to it)", entry.getRelativeFilePath());
                }
                return false;
            }
            return true;
        }
        if (entry.getFileNameOnly().getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            if (reported.add(entry.getAbsoluteFilePath())) {
                LOG.warn("Drop folder: {} is not taken: its name is longer than {} bytes (rename it)",
                        entry.getRelativeFilePath(), MAX_NAME_BYTES);
            }
            return false;
        }
        if (leftInPlace.contains(identity(entry.getRelativeFilePath(), entry.getFileLength(), entry.getLastModified()))) {
            return false;
        }
        String name = entry.getFileNameOnly();
        if (name.endsWith(".tmp") || name.endsWith(".part")) {
            return false; // a copy under a temporary name; checked before the count below, so it takes no place there
        }
        return settled(entry.getAbsoluteFilePath(), entry.getFileLength(), entry.getLastModified())
                && takenThisPoll(entry.getRelativeFilePath());
    }

    /**
     * Whether the tenant's folder may give this poll one more file. A poll takes at most 100 files and stops listing
     * there, walking the folders in the file system's order: one tenant keeping a few hundred files in its folder had
     * every poll to itself, and another's file waited minutes. While more than one tenant has files, each tenant's
     * folder gives at most {@link #MOST_PER_TENANT_A_POLL}; one tenant's alone, as many as the poll takes (a capped
     * poll lists on past the cap, every entry of a large folder).
     */
    private synchronized boolean takenThisPoll(String relative) {
        int slash = relative.indexOf('/');
        String tenantFolder = slash < 0 ? "" : relative.substring(0, slash);
        int taken = takenThisPoll.merge(tenantFolder, 1, Integer::sum);
        return !capped || taken <= MOST_PER_TENANT_A_POLL;
    }

    /** A poll begins: every tenant's folder may give files again, {@code capped} while several tenants have files. */
    public synchronized void newPoll(boolean capped) {
        this.capped = capped;
        takenThisPoll.clear();
    }

    /**
     * Whether the entry can be opened by the name it is listed under. Names are listed as text: bytes that are not
     * valid in the JVM's file-name encoding (any byte past ASCII under the C locale, a Latin-1 name under UTF-8) come
     * out as U+FFFD, and that name no longer leads to the file (nor can it move it to .error/).
     */
    private static boolean reachableByName(GenericFile<File> entry) {
        if (entry.getAbsoluteFilePath().indexOf('\uFFFD') < 0) {
            return true;
        }
        try {
            return Files.exists(entry.getFile().toPath(), LinkOption.NOFOLLOW_LINKS);
        } catch (InvalidPathException unmappable) {
            return false;
        }
    }

    private synchronized boolean settled(String path, long size, long modified) {
        long now = nanoTime.getAsLong();
        forgetGone(now);
        Seen before = seen.get(path);
        if (before == null && modified <= wallMillis.getAsLong() - TimeUnit.NANOSECONDS.toMillis(settleNanos)) {
            return true; // nothing wrote to it for the settle time: no need to follow it
        }
        if (before == null || before.size() != size || before.modified() != modified) {
            if (before == null && seen.size() >= MAX_TRACKED) {
                return false; // followed once others are taken
            }
            seen.put(path, new Seen(size, modified, now, now));
            return settleNanos == 0;
        }
        seen.put(path, new Seen(size, modified, before.since(), now));
        return now - before.since() >= settleNanos;
    }

    /** At most every few seconds: files not seen for a while are forgotten (a file seen again starts settling again). */
    private void forgetGone(long now) {
        if (now - forgotAt < FORGET_NANOS / 6) {
            return;
        }
        forgotAt = now;
        seen.values().removeIf(file -> now - file.lastSeen() > Math.max(FORGET_NANOS, 10 * settleNanos));
    }

    /** The intake could not move this entry out of the folder: not handed over again while it stays as it is. */
    void leaveInPlace(String relative, long size, long modified) {
        leftInPlace.add(identity(relative, size, modified));
    }

    /** At most {@value #MAX_REMEMBERED} entries, the oldest forgotten first. */
    private static Set<String> boundedSet() {
        return Collections.synchronizedSet(Collections.newSetFromMap(new LinkedHashMap<String, Boolean>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > MAX_REMEMBERED;
            }
        }));
    }

    private static String identity(String relative, long size, long modified) {
        return relative.replace(File.separatorChar, '/') + "\n" + size + "\n" + modified;
    }
}

package io.inlet;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data directory holds API key hashes, the embedded S3's objects (tenants' records, as files the embedded
 * S3 creates readable by all) and scratch part files. A Java process cannot set its umask, so the directories
 * themselves are made owner-only (0700) at every start, as the key file is: files below them, whatever their
 * own mode, are then out of other local users' reach.
 */
final class DataDirectory {

    private static final Logger LOG = LoggerFactory.getLogger(DataDirectory.class);

    private DataDirectory() {
    }

    static void prepare(Settings settings) throws IOException {
        List<Path> dirs = new ArrayList<>(List.of(settings.dataDir(), settings.tempDir()));
        if (settings.embeddedS3() || Files.isDirectory(settings.embeddedS3Dir())) {
            dirs.add(settings.embeddedS3Dir());
        }
        ownerOnly(dirs, settings.dataDir() + " and its s3 and tmp folders");
    }

    /**
     * Holds the data directory for this process until {@code close}: a second service started on it (README: never
     * two on one) would take over the first one's running batches as "left unfinished", run them a second time beside
     * it, and clear its scratch files. The lock is the operating system's, so a killed process leaves none behind.
     */
    static FileChannel lock(Settings settings) throws IOException {
        Path lockFile = settings.dataDir().resolve(".inlet.lock");
        FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException inThisProcess) {
            lock = null;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new IllegalStateException("Another Inlet service is running on the data directory " + settings.dataDir()
                    + " (it holds " + lockFile.getFileName() + "): each instance needs a data directory of its own"
                    + " (inlet.data-dir)");
        }
        return channel;
    }

    /**
     * Creates the folders if missing and makes them owner-only (a warning where the file system cannot), at every
     * start: also the folders of an earlier version that made them with the default mode.
     */
    static void ownerOnly(List<Path> dirs, String what) throws IOException {
        for (Path dir : dirs) {
            Files.createDirectories(dir);
        }
        try {
            for (Path dir : dirs) {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
        } catch (UnsupportedOperationException | IOException e) {
            LOG.warn("Could not make {} owner-only ({}): other local users may be able to read tenants' data there"
                    + " unless the file system's own access control keeps them out",
                    what, e instanceof UnsupportedOperationException ? "not a POSIX file system" : e);
        }
    }
}

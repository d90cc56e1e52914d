package io.inlet.dropfolder;

import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;

import software.amazon.awssdk.http.ContentStreamProvider;

/**
 * One entry of the drop folder, reached folder by folder without following a symbolic link at any step, and read
 * and moved through the folder it was found in, never again by its path.
 * <p>
 * Whoever may write to the drop folder could otherwise have the service read what they cannot read themselves into
 * their own lake: through a symbolic link (of the file, or of a folder above it, swapped in after a check of the path
 * and before an open or a move by the path), or a hard link (a second name of a file kept anywhere on the same file
 * system). A named pipe would block the reader that opens it, and a device need never end.
 * <p>
 * Where the platform offers it (Linux), each folder is held open and the next step is taken relative to it
 * ({@link SecureDirectoryStream}: openat, fstatat and renameat with no-follow): once found, the entry's folder is the
 * one the file was listed in whatever is renamed or linked above it afterwards; right after the one open, and
 * again before the move, its name must still name the file that was checked (the same device and inode, else it is
 * refused, or not moved); all its reads come from that one open; and it is moved to {@code .done/} or
 * {@code .error/} from that same folder. Elsewhere the same checks are made by path, before the one
 * open, and a swap between the two cannot be ruled out.
 */
final class DropEntry implements Closeable {

    private final Path root;
    private final String relative;
    private final Folder folder;
    private final String name;
    private BasicFileAttributes checked;
    private String identity;
    private SeekableByteChannel channel;

    private DropEntry(Path root, String relative, Folder folder, String name) {
        this.root = root;
        this.relative = relative;
        this.folder = folder;
        this.name = name;
    }

    /** The entry at {@code relative} ('/'-separated) under {@code root}; {@link DropRefused} if a folder on the way is a link. */
    static DropEntry find(Path root, String relative) throws IOException {
        String[] names = relative.split("/");
        Folder folder = Folder.open(root);
        try {
            StringBuilder walked = new StringBuilder();
            for (int i = 0; i < names.length - 1; i++) {
                walked.append(walked.length() == 0 ? "" : "/").append(names[i]);
                Folder next = folder.enter(names[i], walked.toString());
                folder.close();
                folder = next;
            }
            return new DropEntry(root, relative, folder, names[names.length - 1]);
        } catch (IOException | RuntimeException e) {
            folder.close();
            throw e;
        }
    }

    /** The file's own attributes (size and time for its file key), or {@link DropRefused} saying why it is not read. */
    BasicFileAttributes checkedAttributes() throws IOException {
        BasicFileAttributes attributes = folder.attributes(name);
        if (attributes.isSymbolicLink()) {
            throw Folder.linkRefused(relative);
        }
        if (!attributes.isRegularFile()) {
            throw new DropRefused("it is not a regular file (a named pipe, device or socket), and only regular files are read");
        }
        int links = linkCount(attributes);
        if (links > 1) {
            throw new DropRefused("the file has " + links + " hard links, so it may also be a file outside the drop folder:"
                    + " copy the file itself instead of linking it");
        }
        checked = attributes;
        return attributes;
    }

    /** Up to {@code length} bytes from the start of the checked file. */
    byte[] head(int length) throws IOException {
        SeekableByteChannel file = channel();
        ByteBuffer head = ByteBuffer.allocate(length);
        file.position(0);
        while (head.hasRemaining() && file.read(head) >= 0) {
            // until full or at the end of the file
        }
        return Arrays.copyOf(head.array(), head.position());
    }

    /**
     * The checked file's bytes for an upload: the S3 client asks for a new stream on each retry, and each starts again
     * at the beginning of the one open file. The streams leave the file open; {@link #close()} closes it.
     */
    ContentStreamProvider content() {
        return () -> {
            try {
                SeekableByteChannel file = channel();
                file.position(0);
                return new FilterInputStream(Channels.newInputStream(file)) {
                    @Override
                    public void close() {
                        // the entry closes the file
                    }
                };
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    /**
     * Moves the entry (the link itself, for a link) into {@code target}, keeping its name; folders are created. An
     * entry that was checked is moved only while its name still names the checked file: false, and nothing moved,
     * when another file was renamed over it meanwhile (that one is taken at the next look).
     */
    boolean moveInto(Path target) throws IOException {
        if (checked != null && !stillNamesTheCheckedFile()) {
            return false;
        }
        Files.createDirectories(target);
        folder.moveInto(name, target);
        return true;
    }

    /**
     * Renames the entry in its own folder to a dot-name ({@code .{name}.refused}), which the listing never takes: for
     * an entry that could not be moved out, so that it is not taken again and again.
     */
    String hideInPlace() throws IOException {
        String hidden = "." + name + ".refused";
        folder.rename(name, hidden);
        return hidden;
    }

    private boolean stillNamesTheCheckedFile() throws IOException {
        return Objects.equals(folder.attributes(name).fileKey(), checked.fileKey());
    }

    @Override
    public void close() throws IOException {
        try (Folder ignored = folder) {
            if (channel != null) {
                channel.close();
            }
        }
    }

    private SeekableByteChannel channel() throws IOException {
        if (channel == null) {
            if (checked == null) {
                throw new IllegalStateException("the entry is opened only once checked");
            }
            SeekableByteChannel opened = folder.open(name);
            try {
                // The name may have been given to another file (or a link's target's hard link) since the check.
                if (!stillNamesTheCheckedFile()) {
                    throw new Replaced();
                }
            } catch (IOException | RuntimeException e) {
                opened.close();
                throw e;
            }
            channel = opened;
        }
        return channel;
    }

    /**
     * Another file took the name between the check and the open (nothing was read or stored yet): the intake leaves
     * it for the next look, which checks that one from the start.
     */
    static final class Replaced extends RuntimeException {
        Replaced() {
            super("replaced between its check and its opening", null, false, false);
        }
    }

    private int linkCount(BasicFileAttributes attributes) throws IOException {
        Path file = root.resolve(relative);
        try {
            // By path (no view relative to a folder has it): counted only if the path still names the checked file.
            var unix = Files.readAttributes(file, "unix:nlink,fileKey,ino", LinkOption.NOFOLLOW_LINKS);
            if (!Objects.equals(unix.get("fileKey"), attributes.fileKey())) {
                throw new Replaced();
            }
            identity = "inode " + unix.get("ino");
            return (Integer) unix.get("nlink");
        } catch (UnsupportedOperationException notUnix) {
            // No unix view (Windows): links and file types are still checked, the link count cannot be.
            identity = "created " + attributes.creationTime();
            return 1;
        }
    }

    /**
     * What tells this file from another one given the same name, size and modification time later (a copy that kept
     * its time, {@code cp -p}): its inode number (the earlier file keeps its own in {@code .done/}). Not the device
     * number, which a remount or reboot may change, nor the inode change time, which a {@code chmod}, relabel or
     * backup tool changes: a file found again after a crash must be known again whatever was done to its metadata.
     * Set by {@link #checkedAttributes}.
     */
    String identity() {
        if (identity == null) {
            throw new IllegalStateException("the entry has an identity only once checked");
        }
        return identity;
    }

    /** A folder of the drop folder, held open where the platform can, else known by its path. */
    private interface Folder extends Closeable {

        static Folder open(Path path) throws IOException {
            DirectoryStream<Path> stream = Files.newDirectoryStream(path);
            if (stream instanceof SecureDirectoryStream<Path> secure) {
                return new HeldFolder(secure);
            }
            stream.close();
            return new PathFolder(path);
        }

        static DropRefused linkRefused(String relative) {
            return new DropRefused("'" + relative + "' is a symbolic link, which is not followed so that nothing outside"
                    + " the drop folder is read: copy the file itself instead of linking it");
        }

        /** The folder {@code name} in this one ({@code relative} from the drop folder), refused if it is a link. */
        Folder enter(String name, String relative) throws IOException;

        BasicFileAttributes attributes(String name) throws IOException;

        SeekableByteChannel open(String name) throws IOException;

        void moveInto(String name, Path target) throws IOException;

        void rename(String name, String to) throws IOException;
    }

    private record HeldFolder(SecureDirectoryStream<Path> stream) implements Folder {

        @Override
        public Folder enter(String name, String relative) throws IOException {
            if (attributes(name).isSymbolicLink()) {
                throw Folder.linkRefused(relative);
            }
            try {
                return new HeldFolder(stream.newDirectoryStream(entry(name), LinkOption.NOFOLLOW_LINKS));
            } catch (FileSystemException e) {
                // ELOOP: it became a link since the look above
                if (attributes(name).isSymbolicLink()) {
                    throw Folder.linkRefused(relative);
                }
                throw e;
            }
        }

        @Override
        public BasicFileAttributes attributes(String name) throws IOException {
            return stream.getFileAttributeView(entry(name), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .readAttributes();
        }

        @Override
        public SeekableByteChannel open(String name) throws IOException {
            return stream.newByteChannel(entry(name), Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
        }

        @Override
        public void moveInto(String name, Path target) throws IOException {
            try (DirectoryStream<Path> into = Files.newDirectoryStream(target)) {
                stream.move(entry(name), (SecureDirectoryStream<Path>) into, entry(name));
            }
        }

        @Override
        public void rename(String name, String to) throws IOException {
            stream.move(entry(name), stream, entry(to));
        }

        @Override
        public void close() throws IOException {
            stream.close();
        }

        private Path entry(String name) {
            return Path.of(name);
        }
    }

    private record PathFolder(Path path) implements Folder {

        @Override
        public Folder enter(String name, String relative) throws IOException {
            if (attributes(name).isSymbolicLink()) {
                throw Folder.linkRefused(relative);
            }
            return new PathFolder(path.resolve(name));
        }

        @Override
        public BasicFileAttributes attributes(String name) throws IOException {
            return Files.readAttributes(path.resolve(name), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        }

        @Override
        public SeekableByteChannel open(String name) throws IOException {
            return Files.newByteChannel(path.resolve(name), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        }

        @Override
        public void moveInto(String name, Path target) throws IOException {
            Files.move(path.resolve(name), target.resolve(name), StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
        }

        @Override
        public void rename(String name, String to) throws IOException {
            Files.move(path.resolve(name), path.resolve(to), LinkOption.NOFOLLOW_LINKS);
        }

        @Override
        public void close() {
        }
    }
}

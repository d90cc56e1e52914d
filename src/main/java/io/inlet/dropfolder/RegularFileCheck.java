package io.inlet.dropfolder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A dropped entry is read only if it is a regular file of its own inside the drop folder. Whoever may write to
 * the folder could otherwise have the service read what they cannot read themselves, into a tenant's lake and
 * rejected-records file: through a symbolic link (of the file or of a folder above it) or a hard link (a second
 * name for a file kept anywhere on the same file system). A named pipe would block the reader that opens it, and
 * a device need never end. Everything here looks at the entries themselves (links not followed) and opens nothing.
 */
final class RegularFileCheck {

    private RegularFileCheck() {
    }

    /** The file's own attributes (size and time for its file key), or {@link DropRefused} saying why it is not read. */
    static BasicFileAttributes attributesOf(Path root, String relative) throws IOException {
        Path file = root.resolve(relative);
        for (Path folder = file.getParent(); !folder.equals(root); folder = folder.getParent()) {
            notALink(root, folder);
        }
        BasicFileAttributes attributes = notALink(root, file);
        if (!attributes.isRegularFile()) {
            throw new DropRefused("it is not a regular file (a named pipe, device or socket), and only regular files are read");
        }
        int links = linkCount(file);
        if (links > 1) {
            throw new DropRefused("the file has " + links + " hard links, so it may also be a file outside the drop folder:"
                    + " copy the file itself instead of linking it");
        }
        return attributes;
    }

    private static BasicFileAttributes notALink(Path root, Path entry) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (attributes.isSymbolicLink()) {
            throw new DropRefused("'" + root.relativize(entry).toString().replace('\\', '/') + "' is a symbolic link, which is"
                    + " not followed so that nothing outside the drop folder is read: copy the file itself instead of linking it");
        }
        return attributes;
    }

    private static int linkCount(Path file) throws IOException {
        try {
            return (Integer) Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException notUnix) {
            // No unix view (Windows): links and file types are still checked, the link count cannot be.
            return 1;
        }
    }
}

package io.inlet.dropfolder;

import java.io.File;
import java.nio.file.Files;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.component.file.GenericFile;
import org.apache.camel.component.file.GenericFileFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the drop folder's file consumer out of symbolically linked folders. Camel's recursive listing follows them,
 * and would read (and move to .done/) the files of whatever folder a link points at, writing its lock files
 * there too; a file inside would pass every check made on the file itself. Such a folder is skipped, and said so
 * once in the log: a folder cannot be moved to .error/ as a file is. Files are all let through, to be refused
 * one by one with a reason ({@link RegularFileCheck}).
 */
public final class LinkedFolderFilter implements GenericFileFilter<File> {

    private static final Logger LOG = LoggerFactory.getLogger(LinkedFolderFilter.class);

    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    @Override
    public boolean accept(GenericFile<File> entry) {
        if (entry.isDirectory() && Files.isSymbolicLink(entry.getFile().toPath())) {
            if (reported.add(entry.getAbsoluteFilePath())) {
                LOG.warn("Drop folder: {} is a symbolic link to a folder; it is not followed, so nothing in it is taken"
                        + " (move the files themselves into the drop folder)", entry.getRelativeFilePath());
            }
            return false;
        }
        return true;
    }
}

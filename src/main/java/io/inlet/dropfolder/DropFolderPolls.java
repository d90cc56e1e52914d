package io.inlet.dropfolder;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultPollingConsumerPollStrategy;

/**
 * The drop folder's poll strategy: each poll begins with every tenant's folder free to give files again, capped while
 * more than one tenant has files ({@link DropFolderFilter#newPoll}). Which tenants have files is looked up here, one
 * entry of each stream folder at most: the poll itself stops listing at its 100th file, and may never reach the
 * folders after a busy one.
 */
public final class DropFolderPolls extends DefaultPollingConsumerPollStrategy {

    private final DropFolderFilter filter;
    private final Path root;

    public DropFolderPolls(DropFolderFilter filter, Path root) {
        this.filter = filter;
        this.root = root;
    }

    @Override
    public boolean begin(Consumer consumer, Endpoint endpoint) {
        filter.newPoll(tenantsWithFiles() > 1);
        return true;
    }

    /** Tenant folders ({@code {tenant}/{stream}/}) with at least one entry not starting with a dot in a stream folder. */
    int tenantsWithFiles() {
        int tenants = 0;
        try (DirectoryStream<Path> tenantFolders = Files.newDirectoryStream(root)) {
            for (Path tenant : tenantFolders) {
                if (visibleFolder(tenant) && hasFiles(tenant)) {
                    tenants++;
                    if (tenants > 1) {
                        return tenants;
                    }
                }
            }
        } catch (IOException | RuntimeException unreadable) {
            return tenants; // the poll's own listing says what is wrong with the folder
        }
        return tenants;
    }

    private static boolean hasFiles(Path tenant) throws IOException {
        try (DirectoryStream<Path> streams = Files.newDirectoryStream(tenant)) {
            for (Path stream : streams) {
                if (!visibleFolder(stream)) {
                    continue;
                }
                try (DirectoryStream<Path> files = Files.newDirectoryStream(stream)) {
                    for (Path file : files) {
                        if (!file.getFileName().toString().startsWith(".")) {
                            return true;
                        }
                    }
                }
            }
        }
        return false;
    }

    private static boolean visibleFolder(Path folder) {
        return !folder.getFileName().toString().startsWith(".") && Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS);
    }
}

package io.inlet.dropfolder;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import software.amazon.awssdk.http.ContentStreamProvider;

/**
 * A checked file's bytes, opened without following a symbolic link (O_NOFOLLOW): {@link RegularFileCheck} looked
 * at the entry itself, so a link swapped in since is not opened either. The S3 client asks for a new stream on
 * each retry of the upload; the previous one is closed then, the last one on {@link #close()}.
 */
final class UnfollowedFileContent implements ContentStreamProvider, Closeable {

    private final Path file;
    private InputStream current;

    UnfollowedFileContent(Path file) {
        this.file = file;
    }

    static InputStream open(Path file) throws IOException {
        return Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public synchronized InputStream newStream() {
        try {
            close();
            current = open(file);
            return current;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (current != null) {
            current.close();
            current = null;
        }
    }
}

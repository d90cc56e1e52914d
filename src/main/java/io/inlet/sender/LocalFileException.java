package io.inlet.sender;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The file being sent could not be read, or changed while it was sent. Retrying the PUT would not help: the
 * upload stops, and since the body was cut short, S3 stores nothing of it.
 */
final class LocalFileException extends IOException {

    LocalFileException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A failure to read the file, as this exception (unless it is one already). */
    static LocalFileException reading(Path file, IOException e) {
        return e instanceof LocalFileException local ? local
                : new LocalFileException(file + " cannot be read: " + e.getMessage(), e);
    }

    static LocalFileException changed(Path file) {
        return new LocalFileException(file + " changed while it was being sent; nothing of it was confirmed", null);
    }
}

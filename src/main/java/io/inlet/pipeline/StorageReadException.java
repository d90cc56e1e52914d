package io.inlet.pipeline;

import java.io.IOException;

/** Reading the object from S3 failed (network, S3 down): the batch is retried later, the file is not at fault. */
final class StorageReadException extends IOException {

    StorageReadException(IOException cause) {
        super("Reading from S3 failed: " + cause.getMessage(), cause);
    }
}

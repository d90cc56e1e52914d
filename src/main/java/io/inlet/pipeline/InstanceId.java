package io.inlet.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * This instance's name in batch manifests and heartbeats, kept in the data directory: an instance restarted on
 * the same data directory knows the batches it owned before and resumes them at once, without waiting for
 * their lease to run out. (So two running instances must never share a data directory.)
 */
public final class InstanceId {

    private InstanceId() {
    }

    public static String of(Path dataDir) {
        Path file = dataDir.resolve("instance-id");
        try {
            if (Files.exists(file)) {
                String id = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (id.matches("[a-z0-9-]{8,64}")) {
                    return id;
                }
            }
            String id = "i-" + UUID.randomUUID().toString().substring(0, 13);
            Path tmp = Files.createTempFile(dataDir, ".instance-id", ".tmp");
            Files.writeString(tmp, id + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the instance id in " + file, e);
        }
    }
}

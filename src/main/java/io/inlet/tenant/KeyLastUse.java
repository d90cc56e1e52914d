package io.inlet.tenant;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When each API key was last accepted, to the second. An instance keeps the times in memory and writes them,
 * at most once per {@code inlet.keys.last-used-interval} and at a graceful stop, to a file of its own in a folder
 * beside the key file ({@code api-keys.last-used/{instance id}.json}): requests never rewrite the shared key file,
 * and instances sharing it never write the same file. {@code keys list} takes the latest time of each key over
 * all the files, so it can be one interval behind (and a killed instance loses its last interval).
 */
public final class KeyLastUse {

    private static final Logger LOG = LoggerFactory.getLogger(KeyLastUse.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path ownFile;
    private final Clock clock;
    private final Map<String, Instant> lastUse = new ConcurrentHashMap<>();
    private final AtomicBoolean changed = new AtomicBoolean();
    private boolean failing;

    @JsonIgnoreProperties(ignoreUnknown = true)
    record LastUseFile(@JsonProperty("last_used") Map<String, String> lastUsed) {
    }

    /** This instance's record; what it wrote before a restart is kept. */
    public KeyLastUse(Path keysFile, String instanceId, Clock clock) {
        this.ownFile = folder(keysFile).resolve(instanceId + ".json");
        this.clock = clock;
        read(ownFile, lastUse);
    }

    /** The folder beside the key file: {@code api-keys.json} → {@code api-keys.last-used/}. */
    public static Path folder(Path keysFile) {
        String name = keysFile.getFileName().toString();
        String stem = name.endsWith(".json") ? name.substring(0, name.length() - ".json".length()) : name;
        return keysFile.resolveSibling(stem + ".last-used");
    }

    /** The key was accepted just now (called on every accepted request: memory only). */
    public void used(String keyId) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant before = lastUse.put(keyId, now);
        if (!now.equals(before)) {
            changed.set(true);
        }
    }

    /**
     * Writes the times if any changed since the last write (temporary file renamed into place). A failure (the
     * folder read-only, say) is logged once until a write succeeds again; requests are never refused for it.
     */
    public synchronized void flush() {
        if (!changed.getAndSet(false)) {
            return;
        }
        try {
            Map<String, String> times = new TreeMap<>();
            lastUse.forEach((keyId, at) -> times.put(keyId, at.toString()));
            Path folder = ownFile.getParent();
            if (!Files.isDirectory(folder)) {
                Files.createDirectories(folder);
                ownerOnly(folder, "rwx------");
            }
            Path tmp = Files.createTempFile(folder, ".last-used", ".tmp");
            ownerOnly(tmp, "rw-------");
            Files.write(tmp, JSON.writeValueAsBytes(new LastUseFile(times)));
            Files.move(tmp, ownFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            failing = false;
        } catch (IOException | RuntimeException e) {
            changed.set(true);
            if (!failing) {
                LOG.warn("Cannot record when API keys were last used in {} ({}); `keys list` shows older times until "
                        + "this works again", ownFile, e.toString());
                failing = true;
            }
        }
    }

    private static void ownerOnly(Path path, String permissions) throws IOException {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
        } catch (UnsupportedOperationException notPosix) {
            // the enclosing folder's ACL applies
        }
    }

    /** The latest use of each key over every instance's file beside this key file. */
    public static Map<String, Instant> latest(Path keysFile) throws IOException {
        Map<String, Instant> latest = new HashMap<>();
        Path folder = folder(keysFile);
        if (!Files.isDirectory(folder)) {
            return latest;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "[!.]*.json")) {
            for (Path file : files) {
                read(file, latest);
            }
        }
        return latest;
    }

    /** Merges one file into the map, keeping the later time of each key; an unreadable file adds nothing. */
    private static void read(Path file, Map<String, Instant> into) {
        if (!Files.exists(file)) {
            return;
        }
        try {
            LastUseFile content = JSON.readValue(file.toFile(), LastUseFile.class);
            if (content.lastUsed() != null) {
                content.lastUsed().forEach((keyId, at) -> into.merge(keyId, Instant.parse(at),
                        (a, b) -> a.isAfter(b) ? a : b));
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Ignoring the unreadable last-use file {} ({})", file, e.toString());
        }
    }
}

package io.inlet.tenant;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * API keys, stored as SHA-256 hashes in {@code api-keys.json} under the data directory. A key is 256 random
 * bits, so a plain SHA-256 is enough (no password stretching needed) and the plain key exists only in the
 * output of {@code keys create}. A running service re-reads the file within a second of a change.
 */
public final class ApiKeys {

    /** Printed keys start with this, so they are easy to recognise (and to scan for in leaked text). */
    public static final String KEY_PREFIX = "inlet_";
    private static final long RELOAD_CHECK_NANOS = 1_000_000_000L;

    private final Path file;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final SecureRandom random = new SecureRandom();

    private volatile Snapshot snapshot = Snapshot.of(List.of(), null);
    private volatile long lastCheck;

    public ApiKeys(Path file) {
        this.file = file;
    }

    public record StoredKey(
            @JsonProperty("key_id") String keyId,
            @JsonProperty("tenant") String tenant,
            @JsonProperty("sha256") String sha256,
            @JsonProperty("created_at") String createdAt) {
    }

    record KeyFile(@JsonProperty("keys") List<StoredKey> keys) {
    }

    /** The keys as last read, with their hashes decoded once (not on every request). */
    private record Snapshot(List<StoredKey> keys, List<byte[]> hashes, FileTime modified) {
        static Snapshot of(List<StoredKey> keys, FileTime modified) {
            return new Snapshot(List.copyOf(keys), keys.stream().map(k -> HexFormat.of().parseHex(k.sha256())).toList(),
                    modified);
        }
    }

    /** A freshly minted key: the only moment the plain key exists. */
    public record Minted(String tenant, String keyId, String key) {
    }

    /**
     * The tenant of a presented key. Every stored hash is compared, in constant time, so the answer takes
     * the same time whichever key (if any) matches.
     */
    public Optional<String> tenantOf(String presentedKey) {
        if (presentedKey == null || presentedKey.isEmpty() || presentedKey.length() > 256) {
            return Optional.empty();
        }
        byte[] presented = sha256(presentedKey);
        String match = match(presented, current());
        if (match == null) {
            // A key minted a moment ago must work at once: look at the file again (one stat) before refusing.
            synchronized (this) {
                snapshot = reloadIfChanged(snapshot);
                lastCheck = System.nanoTime();
            }
            match = match(presented, snapshot);
        }
        return Optional.ofNullable(match);
    }

    private static String match(byte[] presented, Snapshot keys) {
        String match = null;
        for (int i = 0; i < keys.keys().size(); i++) {
            if (MessageDigest.isEqual(presented, keys.hashes().get(i)) && match == null) {
                match = keys.keys().get(i).tenant();
            }
        }
        return match;
    }

    public boolean isKnownTenant(String tenant) {
        return current().keys().stream().anyMatch(k -> k.tenant().equals(tenant));
    }

    public boolean isEmpty() {
        return current().keys().isEmpty();
    }

    /** Mints a key for the tenant and stores only its hash. Safe against concurrent {@code keys create} runs. */
    public Minted create(String tenant) throws IOException {
        TenantId.require(tenant);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock ignored = channel.lock()) {
            List<StoredKey> keys = new ArrayList<>(read().keys());
            byte[] secret = new byte[32];
            random.nextBytes(secret);
            String key = KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
            String hash = HexFormat.of().formatHex(sha256(key));
            String keyId = hash.substring(0, 12);
            keys.add(new StoredKey(keyId, tenant, hash, Instant.now().toString()));
            write(keys);
            lastCheck = 0;
            return new Minted(tenant, keyId, key);
        }
    }

    public List<StoredKey> list() {
        return current().keys();
    }

    private Snapshot current() {
        long now = System.nanoTime();
        if (now - lastCheck > RELOAD_CHECK_NANOS || lastCheck == 0) {
            synchronized (this) {
                if (now - lastCheck > RELOAD_CHECK_NANOS || lastCheck == 0) {
                    snapshot = reloadIfChanged(snapshot);
                    lastCheck = System.nanoTime();
                }
            }
        }
        return snapshot;
    }

    private Snapshot reloadIfChanged(Snapshot previous) {
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            if (modified.equals(previous.modified())) {
                return previous;
            }
            return Snapshot.of(read().keys(), modified);
        } catch (NoSuchFileException e) {
            return Snapshot.of(List.of(), null);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read the API key file " + file, e);
        }
    }

    private KeyFile read() throws IOException {
        if (!Files.exists(file)) {
            return new KeyFile(List.of());
        }
        KeyFile keyFile = json.readValue(file.toFile(), KeyFile.class);
        return keyFile.keys() == null ? new KeyFile(List.of()) : keyFile;
    }

    private void write(List<StoredKey> keys) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".api-keys", ".tmp");
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            // the directory's ACL applies
        }
        Files.write(tmp, json.writeValueAsBytes(new KeyFile(keys)));
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

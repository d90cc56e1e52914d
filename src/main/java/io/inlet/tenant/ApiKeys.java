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
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.HashMap;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * API keys, stored as SHA-256 hashes in {@code api-keys.json} under the data directory. A key is 256 random
 * bits, so a plain SHA-256 is enough (no password stretching needed) and the plain key exists only in the
 * output of {@code keys create} and {@code keys rotate}. A running service re-reads the file within a second of
 * a change, so a new key works at once and a revoked one is refused within a second. Revoked and expired keys
 * stay in the file (without ever matching again) so that {@code keys list} can say what became of them.
 */
public final class ApiKeys {

    private static final Logger LOG = LoggerFactory.getLogger(ApiKeys.class);

    /** Printed keys start with this, so they are easy to recognise (and to scan for in leaked text). */
    public static final String KEY_PREFIX = "inlet_";
    private static final long RELOAD_CHECK_NANOS = 1_000_000_000L;
    /** FileLock is held per process: threads of one process (a test, the service's dev tenant) queue here first. */
    private static final ReentrantLock IN_PROCESS_WRITERS = new ReentrantLock();

    private final Path file;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final SecureRandom random = new SecureRandom();

    private volatile Snapshot snapshot = Snapshot.of(List.of(), null);
    private volatile long lastCheck;

    public ApiKeys(Path file) {
        this(file, Clock.systemUTC());
    }

    public ApiKeys(Path file, Clock clock) {
        this.file = file;
        this.clock = clock;
    }

    /** One key as stored: never the key itself. Times are ISO-8601 instants; absent ones are left out of the file. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record StoredKey(
            @JsonProperty("key_id") String keyId,
            @JsonProperty("tenant") String tenant,
            @JsonProperty("sha256") String sha256,
            @JsonProperty("created_at") String createdAt,
            @JsonProperty("revoked_at") String revokedAt,
            @JsonProperty("expires_at") String expiresAt) {

        /** Accepted at that moment: not revoked, and not past the end of a rotation's grace period. */
        public boolean usableAt(Instant now) {
            return revokedAt == null && (expiresAt == null || now.isBefore(Instant.parse(expiresAt)));
        }

        StoredKey revoked(Instant at) {
            return new StoredKey(keyId, tenant, sha256, createdAt, at.toString(), expiresAt);
        }

        /** Expiring at {@code at}, or earlier if an earlier rotation already said so. */
        StoredKey expiringBy(Instant at) {
            if (expiresAt != null && Instant.parse(expiresAt).isBefore(at)) {
                return this;
            }
            return new StoredKey(keyId, tenant, sha256, createdAt, revokedAt, at.toString());
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record KeyFile(@JsonProperty("keys") List<StoredKey> keys) {
    }

    /** What identifies one write of the file: every write is a new file renamed into place. */
    private record FileVersion(FileTime modified, long size, Object fileKey) {
    }

    /** The keys as last read, with their hashes decoded once (not on every request). */
    private record Snapshot(List<StoredKey> keys, Map<String, StoredKey> byHash, FileVersion version) {
        static Snapshot of(List<StoredKey> keys, FileVersion version) {
            Map<String, StoredKey> byHash = new HashMap<>();
            for (StoredKey key : keys) {
                byHash.putIfAbsent(key.sha256().toLowerCase(Locale.ROOT), key);
            }
            return new Snapshot(List.copyOf(keys), Map.copyOf(byHash), version);
        }
    }

    /** A freshly minted key: the only moment the plain key exists. */
    public record Minted(String tenant, String keyId, String key) {
    }

    /** A rotation: the new key, and the tenant's earlier keys with the moment they stop being accepted. */
    public record Rotation(Minted minted, List<StoredKey> expiring, Instant expiresAt) {
    }

    /** A revocation; {@code alreadyRevoked} when the key had been revoked before (nothing changed then). */
    public record Revocation(StoredKey key, boolean alreadyRevoked) {
    }

    /**
     * The stored key a presented key matches, if that key is still accepted: looked up by the SHA-256 of what was
     * presented, so its cost does not grow with the keys stored (comparing every stored hash, 50,000 keys made each
     * unknown key's 401 cost 5 ms of the event loop). What the lookup's time could tell is about the hash of the
     * presented key, which says nothing about a stored key. A revoked or expired key is refused exactly like one
     * that never existed.
     */
    public Optional<StoredKey> accepted(String presentedKey) {
        if (presentedKey == null || presentedKey.isEmpty() || presentedKey.length() > 256) {
            return Optional.empty();
        }
        byte[] presented = sha256(presentedKey);
        StoredKey match = usableMatch(presented, current());
        if (match == null) {
            // A key minted a moment ago must work at once: look at the file again (one stat) before refusing.
            match = usableMatch(presented, reloadNow());
        }
        return Optional.ofNullable(match);
    }

    private StoredKey usableMatch(byte[] presented, Snapshot keys) {
        StoredKey match = keys.byHash().get(HexFormat.of().formatHex(presented));
        return match != null && match.usableAt(clock.instant()) ? match : null;
    }

    /** A tenant exists while it has a key that is accepted (the drop folder takes files for it only then). */
    public boolean isKnownTenant(String tenant) {
        Instant now = clock.instant();
        if (current().keys().stream().anyMatch(k -> k.tenant().equals(tenant) && k.usableAt(now))) {
            return true;
        }
        // A tenant created a moment ago (a file dropped right after `keys create`): look at the file again first.
        return reloadNow().keys().stream().anyMatch(k -> k.tenant().equals(tenant) && k.usableAt(now));
    }

    /** No key was ever created here (revoked and expired keys count: their tenants are not new). */
    public boolean isEmpty() {
        return current().keys().isEmpty();
    }

    /** Mints a key for the tenant and stores only its hash. Safe against concurrent runs of any key command. */
    public Minted create(String tenant) throws IOException {
        TenantId.require(tenant);
        return update(keys -> mint(tenant, keys));
    }

    /**
     * Mints a new key for a tenant that has keys, and gives each of its keys still accepted an expiry of now +
     * grace (an earlier expiry stays): clients switch to the new key within the grace period. A grace of zero
     * refuses the earlier keys at once. Empty when the tenant never had a key (a typo should not mint one).
     */
    public Optional<Rotation> rotate(String tenant, Duration grace) throws IOException {
        TenantId.require(tenant);
        if (grace.isNegative()) {
            throw new IllegalArgumentException("The grace period cannot be negative: " + grace);
        }
        return update(keys -> {
            if (keys.stream().noneMatch(k -> k.tenant().equals(tenant))) {
                return Optional.empty();
            }
            Instant now = clock.instant();
            Instant expiresAt = now.plus(grace);
            List<StoredKey> expiring = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                StoredKey key = keys.get(i);
                if (key.tenant().equals(tenant) && key.usableAt(now)) {
                    StoredKey expiringKey = key.expiringBy(expiresAt);
                    keys.set(i, expiringKey);
                    expiring.add(expiringKey);
                }
            }
            return Optional.of(new Rotation(mint(tenant, keys), expiring, expiresAt));
        });
    }

    /** Revokes the key with this id (as {@code keys list} shows it). Empty when no key has that id. */
    public Optional<Revocation> revoke(String keyId) throws IOException {
        return update(keys -> {
            for (int i = 0; i < keys.size(); i++) {
                StoredKey key = keys.get(i);
                if (key.keyId().equals(keyId)) {
                    if (key.revokedAt() != null) {
                        return Optional.of(new Revocation(key, true));
                    }
                    keys.set(i, key.revoked(clock.instant()));
                    return Optional.of(new Revocation(keys.get(i), false));
                }
            }
            return Optional.empty();
        });
    }

    public List<StoredKey> list() {
        return current().keys();
    }

    /** Adds a fresh key to the list; the key id (the hash's first 12 hex digits) is unique in the file. */
    private Minted mint(String tenant, List<StoredKey> keys) {
        while (true) {
            byte[] secret = new byte[32];
            random.nextBytes(secret);
            String key = KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
            String hash = HexFormat.of().formatHex(sha256(key));
            String keyId = hash.substring(0, 12);
            if (keys.stream().noneMatch(k -> k.keyId().equals(keyId))) {
                keys.add(new StoredKey(keyId, tenant, hash, clock.instant().toString(), null, null));
                return new Minted(tenant, keyId, key);
            }
        }
    }

    private interface Change<T> {
        T apply(List<StoredKey> keys);
    }

    /**
     * Read, change, write: under a lock on {@code api-keys.json.lock} that every key command takes (processes
     * sharing the file by a volume included), and written to a temporary file renamed into place, so that a
     * reader sees the old file or the new one, never part of one. The file is written only if the change made one.
     */
    private <T> T update(Change<T> change) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
        IN_PROCESS_WRITERS.lock();
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock ignored = channel.lock()) {
            List<StoredKey> before = read().keys();
            List<StoredKey> keys = new ArrayList<>(before);
            T result = change.apply(keys);
            if (!keys.equals(before)) {
                write(keys);
                lastCheck = 0;
            }
            return result;
        } finally {
            IN_PROCESS_WRITERS.unlock();
        }
    }

    /** The keys file looked at again now (one stat; read only if it changed). */
    private synchronized Snapshot reloadNow() {
        snapshot = reloadIfChanged(snapshot);
        lastCheck = System.nanoTime();
        return snapshot;
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
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            FileVersion version = new FileVersion(attributes.lastModifiedTime(), attributes.size(), attributes.fileKey());
            if (Objects.equals(version, previous.version())) {
                return previous;
            }
            try {
                return Snapshot.of(read().keys(), version);
            } catch (JsonProcessingException unreadable) {
                // only text that is no key file: one the service may not read (a revoke run as another user) still
                // fails every request, loudly, rather than keep a revoked key in use
                if (previous.version() == null) {
                    throw unreadable;
                }
                // Half copied (cp onto it) or broken by hand: every request would fail. The keys read last stay in use
                // until the file changes again, and this version is not read again meanwhile.
                // where, not what: the parser's message quotes the file's text
                JsonLocation at = unreadable.getLocation();
                LOG.error("The API key file {} cannot be read (malformed JSON{}); the keys read from it before stay in use"
                        + " until it is changed into a readable one", file,
                        at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr());
                return new Snapshot(previous.keys(), previous.byHash(), version);
            }
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
        // On disk before it replaces the old file: a revocation must not come undone in a power cut.
        try (FileChannel written = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            written.force(true);
        }
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

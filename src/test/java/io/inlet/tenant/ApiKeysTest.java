package io.inlet.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.inlet.testing.Await;
import io.inlet.testing.SettableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Revocation and rotation on the key file itself, with a clock the test moves (the grace period's end). */
class ApiKeysTest {

    @TempDir
    Path dir;

    private final SettableClock clock = new SettableClock(Instant.parse("2026-03-01T10:00:00Z"));

    @Test
    void aRevokedKeyIsRefusedAndTheTenantsOtherKeysStillWork() throws Exception {
        ApiKeys keys = new ApiKeys(dir.resolve("api-keys.json"), clock);
        ApiKeys.Minted first = keys.create("acme");
        ApiKeys.Minted second = keys.create("acme");

        ApiKeys.Revocation revocation = keys.revoke(first.keyId()).orElseThrow();

        assertThat(revocation.alreadyRevoked()).isFalse();
        assertThat(revocation.key().revokedAt()).isEqualTo("2026-03-01T10:00:00Z");
        assertThat(keys.accepted(first.key())).isEmpty();
        assertThat(keys.accepted(second.key())).map(ApiKeys.StoredKey::tenant).contains("acme");
        assertThat(keys.revoke(first.keyId()).orElseThrow().alreadyRevoked()).isTrue();
        assertThat(keys.list()).hasSize(2);
    }

    @Test
    void rotationKeepsTheEarlierKeysForTheGracePeriodThenRefusesThem() throws Exception {
        ApiKeys keys = new ApiKeys(dir.resolve("api-keys.json"), clock);
        ApiKeys.Minted old = keys.create("acme");
        ApiKeys.Minted otherTenant = keys.create("globex");

        ApiKeys.Rotation rotation = keys.rotate("acme", Duration.ofMinutes(10)).orElseThrow();

        assertThat(rotation.expiresAt()).isEqualTo(Instant.parse("2026-03-01T10:10:00Z"));
        assertThat(rotation.expiring()).extracting(ApiKeys.StoredKey::keyId).containsExactly(old.keyId());
        assertThat(keys.accepted(rotation.minted().key())).isPresent();
        clock.set(Instant.parse("2026-03-01T10:09:59Z"));
        assertThat(keys.accepted(old.key())).isPresent();
        clock.set(Instant.parse("2026-03-01T10:10:00Z"));
        assertThat(keys.accepted(old.key())).isEmpty();
        assertThat(keys.accepted(rotation.minted().key())).isPresent();
        assertThat(keys.accepted(otherTenant.key())).isPresent();
        String stored = Files.readString(dir.resolve("api-keys.json"));
        assertThat(stored).doesNotContain(old.key()).doesNotContain(rotation.minted().key())
                .contains("\"expires_at\" : \"2026-03-01T10:10:00Z\"");
    }

    @Test
    void aLaterRotationNeverLengthensAnEarlierGraceAndZeroGraceRefusesAtOnce() throws Exception {
        ApiKeys keys = new ApiKeys(dir.resolve("api-keys.json"), clock);
        ApiKeys.Minted first = keys.create("acme");
        ApiKeys.Rotation short1 = keys.rotate("acme", Duration.ofMinutes(5)).orElseThrow();

        ApiKeys.Rotation longer = keys.rotate("acme", Duration.ofHours(24)).orElseThrow();

        assertThat(longer.expiring()).extracting(ApiKeys.StoredKey::keyId, ApiKeys.StoredKey::expiresAt)
                .containsExactly(
                        tuple(first.keyId(), "2026-03-01T10:05:00Z"),
                        tuple(short1.minted().keyId(), "2026-03-02T10:00:00Z"));

        ApiKeys.Rotation now = keys.rotate("acme", Duration.ZERO).orElseThrow();
        assertThat(keys.accepted(first.key())).isEmpty();
        assertThat(keys.accepted(short1.minted().key())).isEmpty();
        assertThat(keys.accepted(longer.minted().key())).isEmpty();
        assertThat(keys.accepted(now.minted().key())).isPresent();
    }

    @Test
    void unknownKeyIdsAndTenantsChangeNothing() throws Exception {
        Path file = dir.resolve("api-keys.json");
        ApiKeys keys = new ApiKeys(file, clock);
        keys.create("acme");
        String before = Files.readString(file);

        assertThat(keys.revoke("000000000000")).isEmpty();
        assertThat(keys.rotate("nobody", Duration.ofHours(1))).isEmpty();
        assertThatThrownBy(() -> keys.rotate("acme", Duration.ofMinutes(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> keys.rotate("../acme", Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Files.readString(file)).isEqualTo(before);
    }

    @Test
    void aTenantWhoseKeysAreAllRevokedIsNoLongerKnownButTheFileIsNotEmpty() throws Exception {
        ApiKeys keys = new ApiKeys(dir.resolve("api-keys.json"), clock);
        ApiKeys.Minted only = keys.create("acme");
        assertThat(keys.isKnownTenant("acme")).isTrue();

        keys.revoke(only.keyId());

        assertThat(keys.isKnownTenant("acme")).isFalse();
        // The dev tenant is made only when no key was ever created.
        assertThat(keys.isEmpty()).isFalse();
    }

    @Test
    void anotherReaderOfTheFileRefusesARevokedKeyWithinASecond() throws Exception {
        Path file = dir.resolve("api-keys.json");
        ApiKeys service = new ApiKeys(file);
        ApiKeys cli = new ApiKeys(file);
        ApiKeys.Minted minted = cli.create("acme");
        assertThat(service.accepted(minted.key())).isPresent();

        cli.revoke(minted.keyId());

        // a second, and some slack for a busy machine's scheduler
        Await.until("the revocation is seen", Duration.ofMillis(1500), () -> service.accepted(minted.key()).isEmpty());
    }

    /**
     * A key file broken while the service runs (half copied onto by cp, or edited by hand) does not fail every
     * request: the keys read before stay in use until it is readable again, and then its keys count.
     */
    @Test
    void aKeyFileBrokenWhileRunningKeepsTheKeysReadBefore() throws Exception {
        Path file = dir.resolve("api-keys.json");
        ApiKeys service = new ApiKeys(file);
        ApiKeys.Minted minted = new ApiKeys(file).create("acme");
        assertThat(service.accepted(minted.key())).isPresent();
        byte[] whole = Files.readAllBytes(file);

        Files.writeString(file, "{\"keys\":[");
        Thread.sleep(1_100); // past the service's look at the file, once a second

        assertThat(service.accepted(minted.key())).as("the key read before").isPresent();
        Files.write(file, whole);
        ApiKeys.Minted later = new ApiKeys(file).create("acme");
        Await.until("the readable file's new key counts", Duration.ofMillis(1500),
                () -> service.accepted(later.key()).isPresent());
    }

    @Test
    void concurrentCommandsEachKeepTheirChange() throws Exception {
        Path file = dir.resolve("api-keys.json");
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<ApiKeys.Minted>> work = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String tenant = "t" + i;
                work.add(threads.submit(() -> {
                    // one ApiKeys per "process", as separate CLI runs would have
                    ApiKeys own = new ApiKeys(file);
                    ApiKeys.Minted minted = own.create(tenant);
                    own.rotate(tenant, Duration.ZERO);
                    own.revoke(minted.keyId());
                    return minted;
                }));
            }
            for (Future<ApiKeys.Minted> done : work) {
                done.get();
            }
        } finally {
            threads.shutdownNow();
        }
        List<ApiKeys.StoredKey> stored = new ApiKeys(file).list();
        assertThat(stored).hasSize(32);
        assertThat(stored.stream().filter(k -> k.revokedAt() != null)).hasSize(16);
        assertThat(stored.stream().filter(k -> k.revokedAt() == null && k.expiresAt() == null)).hasSize(16);
    }
}

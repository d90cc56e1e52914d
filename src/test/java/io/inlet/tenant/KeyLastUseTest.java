package io.inlet.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import io.inlet.testing.SettableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Last use of keys: one file per instance beside the key file, merged by `keys list`. */
class KeyLastUseTest {

    @TempDir
    Path dir;

    private final SettableClock clock = new SettableClock(Instant.parse("2026-03-01T10:00:00.700Z"));

    @Test
    void eachInstanceWritesItsOwnFileAndTheLatestUseOfEachKeyWins() throws Exception {
        Path keysFile = dir.resolve("api-keys.json");
        KeyLastUse first = new KeyLastUse(keysFile, "i-first", clock);
        KeyLastUse second = new KeyLastUse(keysFile, "i-second", clock);
        first.used("aaaaaaaaaaaa");
        first.used("bbbbbbbbbbbb");
        clock.set(Instant.parse("2026-03-01T10:05:00Z"));
        second.used("aaaaaaaaaaaa");

        assertThat(KeyLastUse.latest(keysFile)).as("nothing is written before a flush").isEmpty();
        first.flush();
        second.flush();

        assertThat(KeyLastUse.folder(keysFile)).isEqualTo(dir.resolve("api-keys.last-used"));
        assertThat(KeyLastUse.latest(keysFile))
                .containsEntry("aaaaaaaaaaaa", Instant.parse("2026-03-01T10:05:00Z"))
                .containsEntry("bbbbbbbbbbbb", Instant.parse("2026-03-01T10:00:00Z"))
                .hasSize(2);
    }

    @Test
    void aRestartedInstanceKeepsWhatItWroteAndWritesOnlyWhenSomethingChanged() throws Exception {
        Path keysFile = dir.resolve("api-keys.json");
        KeyLastUse before = new KeyLastUse(keysFile, "i-one", clock);
        before.used("aaaaaaaaaaaa");
        before.flush();
        Path own = KeyLastUse.folder(keysFile).resolve("i-one.json");

        KeyLastUse restarted = new KeyLastUse(keysFile, "i-one", clock);
        clock.set(Instant.parse("2026-03-01T11:00:00Z"));
        restarted.used("bbbbbbbbbbbb");
        restarted.flush();
        assertThat(KeyLastUse.latest(keysFile)).containsOnlyKeys("aaaaaaaaaaaa", "bbbbbbbbbbbb");

        Files.delete(own);
        restarted.flush();
        assertThat(own).as("no use since the last write: nothing written").doesNotExist();
    }
}

package io.inlet.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import io.inlet.Settings;
import org.junit.jupiter.api.Test;

/** Which bound a backlog is over, and how that is said. */
class BacklogFiguresTest {

    static final Settings.Overload BOUNDS = new Settings.Overload(true, Duration.ofSeconds(5), 100, 1 << 20,
            Duration.ofMinutes(15));
    static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");

    @Test
    void withinEveryBoundIsNoExcess() {
        assertThat(figures(100, false, 1 << 20, Duration.ofMinutes(15)).excess(BOUNDS)).isEmpty();
        assertThat(new BacklogFigures(0, false, 0, Optional.empty(), NOW).excess(BOUNDS)).isEmpty();
    }

    @Test
    void eachBoundOnItsOwn() {
        assertThat(figures(101, true, 10, Duration.ZERO).excess(BOUNDS))
                .hasValue("more than 100 files wait to be processed (the bound)");
        assertThat(figures(3, false, (1 << 20) + 1, Duration.ZERO).excess(BOUNDS))
                .hasValue("1048577 bytes wait to be processed, over the bound of 1048576 bytes (1 MiB)");
        assertThat(figures(3, false, 10, Duration.ofMinutes(16)).excess(BOUNDS))
                .hasValue("a file has waited 960 s to be processed, over the bound of 900 s");
    }

    @Test
    void aClockAheadOfTheStoreCountsAsNoAge() {
        assertThat(new BacklogFigures(1, false, 1, Optional.of(NOW.plusSeconds(3)), NOW).oldestAge()).hasValue(Duration.ZERO);
    }

    private static BacklogFigures figures(long files, boolean capped, long bytes, Duration oldest) {
        return new BacklogFigures(files, capped, bytes, Optional.of(NOW.minus(oldest)), NOW);
    }
}

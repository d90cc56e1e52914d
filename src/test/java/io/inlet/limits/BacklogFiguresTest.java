package io.inlet.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
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
        assertThat(new BacklogFigures(0, false, 0, Optional.empty(), NOW, Map.of()).excess(BOUNDS)).isEmpty();
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
        assertThat(new BacklogFigures(1, false, 1, Optional.of(NOW.plusSeconds(3)), NOW, Map.of()).oldestAge())
                .hasValue(Duration.ZERO);
    }

    @Test
    void overABoundOnlyTheTenantsTheBacklogIsMadeOfAreRefused() {
        Instant now = NOW.minusSeconds(10);
        BacklogFigures flooded = new BacklogFigures(101, false, 101, Optional.of(now), NOW, Map.of(
                "flood", new BacklogFigures.Share(96, 96, now),
                "steady", new BacklogFigures.Share(5, 5, now)));

        assertThat(flooded.refusal("flood", BOUNDS))
                .hasValue("more than 100 files wait to be processed (the bound), 96 of them this tenant's");
        assertThat(flooded.refusal("steady", BOUNDS)).isEmpty();
        assertThat(flooded.refusal("new", BOUNDS)).isEmpty();
        // a quarter of the bound is enough to be refused
        assertThat(new BacklogFigures(101, false, 101, Optional.of(now), NOW, Map.of(
                "a", new BacklogFigures.Share(25, 25, now), "b", new BacklogFigures.Share(76, 76, now)))
                .refusal("a", BOUNDS)).isPresent();
    }

    @Test
    void bytesAndAgeAreTheTenantsOwnToo() {
        BacklogFigures big = new BacklogFigures(3, false, (1 << 20) + 2, Optional.of(NOW), NOW, Map.of(
                "big", new BacklogFigures.Share(1, 1 << 20, NOW), "small", new BacklogFigures.Share(2, 2, NOW)));
        assertThat(big.refusal("big", BOUNDS)).hasValueSatisfying(why -> assertThat(why).endsWith("1 MiB) of them this tenant's"));
        assertThat(big.refusal("small", BOUNDS)).isEmpty();

        Instant stuck = NOW.minus(Duration.ofMinutes(20));
        BacklogFigures old = new BacklogFigures(2, false, 2, Optional.of(stuck), NOW, Map.of(
                "stuck", new BacklogFigures.Share(1, 1, stuck), "fresh", new BacklogFigures.Share(1, 1, NOW)));
        assertThat(old.refusal("stuck", BOUNDS)).hasValue(
                "a file of this tenant has waited 1200 s to be processed, over the bound of 900 s");
        assertThat(old.refusal("fresh", BOUNDS)).isEmpty();
    }

    @Test
    void pastFourTimesTheFilesOrBytesBoundEveryoneIsRefused() {
        BacklogFigures capped = new BacklogFigures(401, true, 401, Optional.of(NOW), NOW,
                Map.of("flood", new BacklogFigures.Share(401, 401, NOW)));
        assertThat(capped.refusal("anyone", BOUNDS)).hasValue("more than 100 files wait to be processed (the bound)");

        // many tenants, each under a quarter of the bytes bound
        long bytes = 4L * (1 << 20) + 4;
        BacklogFigures spread = new BacklogFigures(5, false, bytes, Optional.of(NOW), NOW,
                Map.of("one", new BacklogFigures.Share(1, bytes / 5, NOW)));
        assertThat(spread.refusal("one", BOUNDS)).hasValueSatisfying(why -> assertThat(why).startsWith("4194308 bytes"));
        assertThat(spread.refusal("anyone", BOUNDS)).isPresent();
    }

    @Test
    void aTenantRefusedForBytesIsToldAboutBytes() {
        BacklogFigures both = new BacklogFigures(101, false, (1 << 20) + 1, Optional.of(NOW), NOW, Map.of(
                "big", new BacklogFigures.Share(1, 1 << 20, NOW)));
        assertThat(both.refusal("big", BOUNDS)).hasValueSatisfying(why -> assertThat(why)
                .startsWith("1048577 bytes wait to be processed").endsWith("of them this tenant's"));
    }

    private static BacklogFigures figures(long files, boolean capped, long bytes, Duration oldest) {
        return new BacklogFigures(files, capped, bytes, Optional.of(NOW.minus(oldest)), NOW, Map.of());
    }
}

package io.inlet.limits;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import io.inlet.Settings;
import io.inlet.api.Sizes;

/**
 * What one listing of the inbox found: the files waiting or being processed, their bytes and when the oldest of them
 * arrived. The listing stops at the first file over the bound ({@code capped}: there may be more); the bytes and the
 * oldest are then those of the files counted, which is enough: the backlog is over its bounds either way.
 */
public record BacklogFigures(long files, boolean capped, long bytes, Optional<Instant> oldest, Instant listedAt) {

    /** Why the backlog is over its bounds (one sentence), or empty while it is within all of them. */
    public Optional<String> excess(Settings.Overload bounds) {
        if (files > bounds.maxBacklogFiles()) {
            return Optional.of("more than " + bounds.maxBacklogFiles() + " files wait to be processed (the bound)");
        }
        if (bytes > bounds.maxBacklogBytes()) {
            return Optional.of(Sizes.describe(bytes) + " wait to be processed, over the bound of "
                    + Sizes.describe(bounds.maxBacklogBytes()));
        }
        Optional<Duration> age = oldestAge();
        if (age.isPresent() && age.get().compareTo(bounds.maxBacklogAge()) > 0) {
            return Optional.of("a file has waited " + age.get().toSeconds() + " s to be processed, over the bound of "
                    + bounds.maxBacklogAge().toSeconds() + " s");
        }
        return Optional.empty();
    }

    /** How long the oldest file had been in the inbox when it was listed. */
    public Optional<Duration> oldestAge() {
        return oldest.map(arrived -> arrived.isBefore(listedAt) ? Duration.between(arrived, listedAt) : Duration.ZERO);
    }
}

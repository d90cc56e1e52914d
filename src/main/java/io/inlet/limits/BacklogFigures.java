package io.inlet.limits;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import io.inlet.Settings;
import io.inlet.api.Sizes;

/**
 * What one listing of the inbox found: the files waiting or being processed, their bytes, when the oldest of them
 * arrived, and the same for each tenant. The listing stops at the first file over {@link #LISTED_BOUNDS} times the
 * files bound ({@code capped}: there may be more); the figures are then those of the files counted, which is enough:
 * the backlog is over its bounds either way, and every tenant is refused (as past that many times the bytes bound).
 */
public record BacklogFigures(long files, boolean capped, long bytes, Optional<Instant> oldest, Instant listedAt,
        Map<String, Share> tenants) {

    /** How far past the files bound a listing goes to tell whose files the backlog is made of. */
    static final int LISTED_BOUNDS = 4;

    /** One tenant's files in the backlog. */
    public record Share(long files, long bytes, Instant oldest) {

        Share plus(long size, Instant arrived) {
            return new Share(files + 1, bytes + size, oldest == null || arrived.isBefore(oldest) ? arrived : oldest);
        }
    }

    static final Share NONE = new Share(0, 0, null);

    /** Why the backlog is over its bounds (one sentence), or empty while it is within all of them. */
    public Optional<String> excess(Settings.Overload bounds) {
        if (files > bounds.maxBacklogFiles()) {
            return Optional.of(tooManyFiles(bounds));
        }
        if (bytes > bounds.maxBacklogBytes()) {
            return Optional.of(tooManyBytes(bounds));
        }
        if (over(oldest, bounds)) {
            return Optional.of("a file has waited " + age(oldest.get()).toSeconds() + " s to be processed, over the bound of "
                    + bounds.maxBacklogAge().toSeconds() + " s");
        }
        return Optional.empty();
    }

    /**
     * Why the tenant's new work is refused (one sentence), or empty when it is let in. While the backlog is over a
     * bound, a tenant is refused if its own files make up a quarter of that bound (files or bytes) or include a file
     * older than the age bound: the backlog is its work. The others go on, so one tenant's flood alone does not stop
     * the others; past {@link #LISTED_BOUNDS} times the files or bytes bound everyone is refused.
     */
    public Optional<String> refusal(String tenant, Settings.Overload bounds) {
        Optional<String> excess = excess(bounds);
        if (excess.isEmpty() || capped || bytes / LISTED_BOUNDS > bounds.maxBacklogBytes()) {
            return excess;
        }
        Share own = tenants.getOrDefault(tenant, NONE);
        if (files > bounds.maxBacklogFiles() && own.files() * 4 >= bounds.maxBacklogFiles()) {
            return Optional.of(tooManyFiles(bounds) + ", " + own.files() + " of them this tenant's");
        }
        if (bytes > bounds.maxBacklogBytes() && own.bytes() * 4 >= bounds.maxBacklogBytes()) {
            return Optional.of(tooManyBytes(bounds) + ", " + Sizes.describe(own.bytes()) + " of them this tenant's");
        }
        if (over(Optional.ofNullable(own.oldest()), bounds)) {
            return Optional.of("a file of this tenant has waited " + age(own.oldest()).toSeconds()
                    + " s to be processed, over the bound of " + bounds.maxBacklogAge().toSeconds() + " s");
        }
        return Optional.empty();
    }

    private String tooManyFiles(Settings.Overload bounds) {
        return "more than " + bounds.maxBacklogFiles() + " files wait to be processed (the bound)";
    }

    private String tooManyBytes(Settings.Overload bounds) {
        return Sizes.describe(bytes) + " wait to be processed, over the bound of " + Sizes.describe(bounds.maxBacklogBytes());
    }

    /** How long the oldest file had been in the inbox when it was listed. */
    public Optional<Duration> oldestAge() {
        return oldest.map(this::age);
    }

    private boolean over(Optional<Instant> arrived, Settings.Overload bounds) {
        return arrived.isPresent() && age(arrived.get()).compareTo(bounds.maxBacklogAge()) > 0;
    }

    private Duration age(Instant arrived) {
        return arrived.isBefore(listedAt) ? Duration.between(arrived, listedAt) : Duration.ZERO;
    }
}

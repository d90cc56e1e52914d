package io.inlet.upload;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * The open uploads are counted by file key: an upload closed while the sweep lists is not taken off twice, one opened
 * meanwhile is not counted twice, one this instance never counted changes nothing, and URLs being made count until
 * made or given up. (At the bound, S3 is asked again: OpenUploadsPerTenantTest, against the running service.)
 */
class OpenUploadsTest {

    private final OpenUploads uploads = new OpenUploads(null, "lake", Clock.systemUTC());

    @Test
    void aSweepCountsEachUploadOnceWhateverHappensWhileItLists() {
        open("a", "a1");
        open("a", "a2");
        open("a", "a3");

        uploads.listing();
        // confirmed here before the sweep looked at it: the sweep finds it closed
        uploads.closed("a", "a1");
        // made here while the sweep listed, and listed by it
        open("a", "a4");
        // made here while the sweep listed, after it listed that part
        open("a", "a5");
        uploads.listed(Map.of("a", Set.of("a2", "a3", "a4"), "b", Set.of("b1")));

        assertThat(uploads.count("a")).isEqualTo(4); // a2, a3, a4, a5
        assertThat(uploads.count("b")).as("opened on another instance").isOne();
    }

    @Test
    void anUploadThisInstanceNeverCountedChangesNothingAndURLsBeingMadeCount() {
        open("a", "a1");
        uploads.closed("a", "made-on-another-instance");
        assertThat(uploads.count("a")).isOne();

        assertThat(uploads.reserve("a", 3)).isTrue();
        assertThat(uploads.reserve("a", 3)).isTrue();
        assertThat(uploads.count("a")).as("one open, two being made").isEqualTo(3);
        // a sweep does not lose the URLs being made
        uploads.listing();
        uploads.listed(Map.of("a", Set.of("a1")));
        assertThat(uploads.count("a")).isEqualTo(3);

        uploads.released("a"); // not made after all
        uploads.opened("a", "a2");
        assertThat(uploads.count("a")).isEqualTo(2);
        uploads.closed("a", "a2");
        uploads.closed("a", "a2"); // closed twice (a confirmation resumed): once
        assertThat(uploads.count("a")).isOne();
    }

    private void open(String tenant, String key) {
        assertThat(uploads.reserve(tenant, 100)).isTrue();
        uploads.opened(tenant, key);
    }
}

package io.inlet.dropfolder;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.camel.component.file.GenericFile;
import org.junit.jupiter.api.Test;

/**
 * A file is let through once its own time is the settle time past, or else once its size and time stayed the same for
 * the settle time by this service's clock from the first look that saw them: a change starts the wait again, and a
 * file dated in the future (a client's clock ahead) settles like any other. Each look decides at once; nothing waits;
 * the files followed are bounded.
 */
class DropFolderFilterTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    /** The wall clock, in milliseconds: the files below are written "now" (5,000 ms) unless said otherwise. */
    private final AtomicLong wall = new AtomicLong(5_000);
    private final DropFolderFilter filter = new DropFolderFilter(Duration.ofSeconds(2), now::get, wall::get);

    @Test
    void aFileIsTakenOnceItsSizeAndTimeStayedTheSameForTheSettleTime() {
        assertThat(filter.accept(file("a/contact/x.jsonl", 100, 5_000))).as("first look").isFalse();
        later(1_000);
        assertThat(filter.accept(file("a/contact/x.jsonl", 100, 5_000))).isFalse();
        later(1_000);
        assertThat(filter.accept(file("a/contact/x.jsonl", 100, 5_000))).as("2 s unchanged").isTrue();
    }

    @Test
    void aChangeStartsTheWaitAgain() {
        filter.accept(file("a/contact/x.jsonl", 100, 5_000));
        later(1_500);
        assertThat(filter.accept(file("a/contact/x.jsonl", 200, 6_000))).as("it grew").isFalse();
        later(1_500);
        assertThat(filter.accept(file("a/contact/x.jsonl", 200, 6_000))).isFalse();
        later(600);
        assertThat(filter.accept(file("a/contact/x.jsonl", 200, 6_000))).isTrue();
    }

    @Test
    void aFileDatedInTheFutureSettlesByThisServicesClock() {
        long year12000 = 316_000_000_000_000L;
        assertThat(filter.accept(file("a/contact/future.jsonl", 10, year12000))).isFalse();
        later(2_000);
        assertThat(filter.accept(file("a/contact/future.jsonl", 10, year12000))).isTrue();
    }

    @Test
    void aFileForgottenAfterAMinuteUnseenSettlesAgain() {
        long ahead = 10_000_000; // dated ahead of this clock: followed until it settles
        filter.accept(file("a/contact/x.jsonl", 100, ahead));
        later(61_000);
        filter.accept(file("a/contact/other.jsonl", 1, 1)); // a look at another file forgets the one gone
        later(20_000);
        assertThat(filter.accept(file("a/contact/x.jsonl", 100, ahead))).as("seen as new").isFalse();
    }

    @Test
    void aFileNothingWroteToForTheSettleTimeIsTakenAtTheFirstLookWithoutBeingFollowed() {
        wall.set(60_000);
        assertThat(filter.accept(file("a/contact/old.jsonl", 100, 57_000))).as("3 s old").isTrue();
        assertThat(filter.accept(file("a/contact/new.jsonl", 100, 59_000))).as("1 s old").isFalse();
    }

    @Test
    void atMostSoManyFilesAreFollowedAtOnce() {
        long ahead = 10_000_000; // dated ahead of this clock: followed until they settle
        for (int i = 0; i < DropFolderFilter.MAX_TRACKED; i++) {
            filter.accept(file("a/contact/" + i + ".jsonl", 1, ahead));
        }
        assertThat(filter.accept(file("a/contact/one-more.jsonl", 1, ahead))).isFalse();
        later(2_000);
        assertThat(filter.accept(file("a/contact/one-more.jsonl", 1, ahead))).as("not followed: no room").isFalse();
        assertThat(filter.accept(file("a/contact/0.jsonl", 1, ahead))).as("a followed one settles").isTrue();
    }

    private void later(long millis) {
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
        wall.addAndGet(millis);
    }

    /**
     * A name whose bytes are not valid in the file-name encoding is listed with U+FFFD in their place, a name that leads
     * nowhere: passed over (and said once in the log) rather than handed to the intake, which found it "gone" at every
     * look, or failed on it outside any error handling under the C locale.
     */
    @Test
    void aFileWhoseNameCannotBeReadIsPassedOver() {
        wall.set(60_000);
        assertThat(filter.accept(file("a/contact/latin\uFFFD.jsonl", 10, 1_000))).isFalse();
        assertThat(filter.accept(file("a/contact/latin.jsonl", 10, 1_000))).as("settled long ago").isTrue();
    }

    /** A tenant keeping hundreds of files in its folder had every poll to itself; another's file waited minutes. */
    @Test
    void whileSeveralTenantsHaveFilesAPollTakesAtMost25OfOneTenantsFolder() {
        wall.set(60_000);
        // one tenant's files alone: as many as the poll takes (it stops listing at its 100th)
        filter.newPoll(false);
        for (int i = 0; i < 40; i++) {
            assertThat(filter.accept(file("a/contact/" + i + ".jsonl", 10, 1_000))).isTrue();
        }
        filter.newPoll(true);
        // stale partial transfers (the route excludes them) take none of a tenant's 25
        for (int i = 0; i < 30; i++) {
            assertThat(filter.accept(file("a/contact/" + i + (i % 2 == 0 ? ".jsonl.part" : ".jsonl.tmp"), 10, 1_000)))
                    .isFalse();
        }
        for (int i = 0; i < DropFolderFilter.MOST_PER_TENANT_A_POLL; i++) {
            assertThat(filter.accept(file("a/contact/" + i + ".jsonl", 10, 1_000))).isTrue();
        }
        assertThat(filter.accept(file("a/contact/more.jsonl", 10, 1_000))).as("a's 26th").isFalse();
        assertThat(filter.accept(file("b/contact/one.jsonl", 10, 1_000))).as("b's first").isTrue();
        filter.newPoll(true);
        assertThat(filter.accept(file("a/contact/more.jsonl", 10, 1_000))).as("the next poll").isTrue();
    }

    /** Which tenants have files is looked up before the poll, which may stop listing before the second tenant's folder. */
    @Test
    void thePollLooksUpHowManyTenantsHaveFiles(@org.junit.jupiter.api.io.TempDir java.nio.file.Path root) throws Exception {
        DropFolderPolls polls = new DropFolderPolls(filter, root);
        java.nio.file.Files.createDirectories(root.resolve("a/contact"));
        java.nio.file.Files.createDirectories(root.resolve("b/contact"));
        java.nio.file.Files.createDirectories(root.resolve(".done/b/contact"));
        java.nio.file.Files.writeString(root.resolve(".done/b/contact/old.jsonl"), "{}");
        java.nio.file.Files.writeString(root.resolve("b/contact/.hidden"), "{}");
        java.nio.file.Files.writeString(root.resolve("a/contact/x.jsonl"), "{}");
        assertThat(polls.tenantsWithFiles()).isEqualTo(1);
        java.nio.file.Files.writeString(root.resolve("b/contact/y.jsonl"), "{}");
        assertThat(polls.tenantsWithFiles()).isEqualTo(2);
    }

    private static GenericFile<File> file(String relative, long size, long modified) {
        GenericFile<File> file = new GenericFile<>();
        File onDisk = new File("/drop/" + relative);
        file.setFile(onDisk);
        file.setAbsoluteFilePath(onDisk.getPath());
        file.setRelativeFilePath(relative);
        file.setFileNameOnly(onDisk.getName());
        file.setFileName(relative);
        file.setFileLength(size);
        file.setLastModified(modified);
        file.setDirectory(false);
        return file;
    }
}

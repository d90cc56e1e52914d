package io.inlet.dropfolder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whoever writes one tenant's folder may rename and link inside it at any moment, between any two steps of the
 * service. Once an entry is found, what is read and what is moved is the file that was checked, in the folder it
 * was listed in; another tenant's files are never read or moved. (The race itself is made deterministic here: the
 * swap happens between the service's steps, where a writer could make it.)
 */
class DropEntryTest {

    @TempDir
    Path root;

    Path own;
    Path other;

    @BeforeEach
    void twoTenants() throws IOException {
        assumeTrue(heldFolders(), "folders can be held open on this platform (Linux); elsewhere only the path checks apply");
        own = Files.writeString(Files.createDirectories(root.resolve("tenant-a/contact")).resolve("export.jsonl"), "A's records\n");
        other = Files.writeString(Files.createDirectories(root.resolve("tenant-b/contact")).resolve("export.jsonl"), "B's records\n");
    }

    @Test
    void aStreamFolderSwappedForALinkAfterTheEntryWasFoundIsNotFollowed() throws IOException {
        try (DropEntry entry = DropEntry.find(root, "tenant-a/contact/export.jsonl")) {
            assertThat(entry.checkedAttributes().size()).isEqualTo(12);

            // tenant A puts a link to B's folder where its own folder was
            Files.move(root.resolve("tenant-a/contact"), root.resolve("tenant-a/moved-away"));
            Files.createSymbolicLink(root.resolve("tenant-a/contact"), root.resolve("tenant-b/contact"));

            assertThat(read(entry)).isEqualTo("A's records\n");
            entry.moveInto(root.resolve(".done/tenant-a/contact"));
        }
        assertThat(Files.readString(root.resolve(".done/tenant-a/contact/export.jsonl"))).isEqualTo("A's records\n");
        assertThat(Files.readString(other)).as("B's file is neither taken nor moved").isEqualTo("B's records\n");
    }

    @Test
    void aTenantFolderThatIsALinkIsRefusedBeforeAnythingIsRead() throws IOException {
        Files.move(root.resolve("tenant-a"), root.resolve("tenant-a-real"));
        Files.createSymbolicLink(root.resolve("tenant-a"), root.resolve("tenant-b"));

        assertThatThrownBy(() -> DropEntry.find(root, "tenant-a/contact/export.jsonl"))
                .isInstanceOf(DropRefused.class).hasMessageContaining("'tenant-a' is a symbolic link");
    }

    @Test
    void aFileReplacedBetweenItsCheckAndItsOpeningIsRefused() throws IOException {
        try (DropEntry entry = DropEntry.find(root, "tenant-a/contact/export.jsonl")) {
            entry.checkedAttributes();

            Path hardLinkOfOthers = Files.createLink(root.resolve("tenant-a/contact/.swap"), other);
            Files.move(hardLinkOfOthers, own, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

            assertThatThrownBy(() -> entry.head(4)).isInstanceOf(DropEntry.Replaced.class);
        }
    }

    @Test
    void aFileLinkedInPlaceOfTheCheckedOneIsNotOpened() throws IOException {
        try (DropEntry entry = DropEntry.find(root, "tenant-a/contact/export.jsonl")) {
            entry.checkedAttributes();

            Files.delete(own);
            Files.createSymbolicLink(own, other);

            assertThatThrownBy(() -> entry.head(4)).isInstanceOf(IOException.class);
        }
        assertThat(Files.readString(other)).isEqualTo("B's records\n");
    }

    @Test
    void aFileRenamedOverTheTakenOneIsNotMovedInItsPlace() throws IOException {
        try (DropEntry entry = DropEntry.find(root, "tenant-a/contact/export.jsonl")) {
            entry.checkedAttributes();
            assertThat(read(entry)).isEqualTo("A's records\n");

            // the exporter writes its next version under a temporary name and renames it over the first
            Path next = Files.writeString(root.resolve("tenant-a/contact/export.jsonl.part"), "A's next records\n");
            Files.move(next, own, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

            assertThat(entry.moveInto(root.resolve(".done/tenant-a/contact"))).isFalse();
        }
        assertThat(Files.readString(own)).as("left to be taken next").isEqualTo("A's next records\n");
    }

    @Test
    void everyRetriedUploadReadsTheWholeFileAgain() throws IOException {
        try (DropEntry entry = DropEntry.find(root, "tenant-a/contact/export.jsonl")) {
            entry.checkedAttributes();
            assertThat(new String(entry.head(2), StandardCharsets.UTF_8)).isEqualTo("A'");
            assertThat(read(entry)).isEqualTo("A's records\n");
            assertThat(read(entry)).isEqualTo("A's records\n");
        }
    }

    private static String read(DropEntry entry) throws IOException {
        try (InputStream in = entry.content().newStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private boolean heldFolders() throws IOException {
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(root)) {
            return stream instanceof SecureDirectoryStream;
        }
    }
}

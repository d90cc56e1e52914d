package io.inlet.dropfolder;

import java.time.temporal.ChronoUnit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.testing.Await;
import io.inlet.testing.BulkClient;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.Lake;
import io.inlet.testing.ZipFiles;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The third way in: files copied into {dropfolder}/{tenant}/{stream}/ on the running service. */
class DropFolderTest {

    static InletApp app;
    static BulkClient client;

    @TempDir
    Path files;

    @BeforeAll
    static void start() {
        app = InletApp.shared();
        client = new BulkClient(app.baseUrl());
    }

    @Test
    void gzipAndPlainJsonlFilesReachTheLakeExactly() throws IOException {
        Tenant tenant = app.newTenant("drop");
        JsonlFiles.Generated gz = JsonlFiles.contactEvents(files, "dropped-gz", 3_000, 0, true);
        JsonlFiles.Generated plain = JsonlFiles.contactEvents(files, "dropped-plain", 2_000, 0, false);
        Path folder = Files.createDirectories(app.dropFolder().resolve(tenant.id()).resolve("contact_event"));

        Files.copy(gz.path(), folder.resolve("export.jsonl.gz"));
        Files.copy(plain.path(), folder.resolve("export.jsonl"));

        String gzKey = awaitFileKey(tenant, "contact_event/export.jsonl.gz");
        String plainKey = awaitFileKey(tenant, "contact_event/export.jsonl");
        assertThat(gzKey).matches("data/tenants/objects/contact_event/source_system=dropfolder/tenant=" + tenant.id()
                + "/dt=\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}/[0-9a-f-]{36}\\.jsonl\\.gz");
        assertThat(plainKey).endsWith(".jsonl").doesNotEndWith(".gz");
        assertThat(client.awaitFinal(tenant.key(), gzKey, Duration.ofSeconds(60)).get("state").asText()).isEqualTo("completed");
        assertThat(client.awaitFinal(tenant.key(), plainKey, Duration.ofSeconds(60)).get("state").asText()).isEqualTo("completed");
        List<String> expected = new ArrayList<>(gz.validIds());
        expected.addAll(plain.validIds());
        assertThat(Lake.sorted(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(),
                "contact_event/tenant=" + tenant.id() + "/"), "event_id"))).isEqualTo(Lake.sorted(expected));
        assertThat(folder.resolve("export.jsonl.gz")).doesNotExist();
        assertThat(app.dropFolder().resolve(".done").resolve(tenant.id()).resolve("contact_event/export.jsonl.gz")).exists();
        // a taken file keeps its mode (here readable by all): its folder keeps other local users out
        assertThat(Files.getPosixFilePermissions(app.dropFolder().resolve(".done")))
                .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    }

    /**
     * A daily export copied in with its time kept ({@code cp -p}, rsync -t, unzip) may have the same name, size and
     * time as yesterday's: it is a file of its own, not taken for the one before. And two drop folders (two
     * instances') never give the same file key: each has its own id.
     */
    /** A Latin-1 name (not valid UTF-8) cannot be opened by the name Java lists it under: left alone, others taken. */
    @Test
    void aFileWhoseNameIsNotUtf8IsLeftWhereItIsAndTheOthersTaken() throws Exception {
        Tenant tenant = app.newTenant("latin");
        JsonlFiles.Generated good = JsonlFiles.contactEvents(files, "latin-good", 20, 0, false);
        Path folder = Files.createDirectories(app.dropFolder().resolve(tenant.id()).resolve("contact_event"));
        // Java cannot write such a name itself; the shell writes the byte 0xe9 as it is
        Process copy = new ProcessBuilder("sh", "-c", "cp \"$0\" \"$1/$(printf 'caf\\351.jsonl')\"",
                good.path().toString(), folder.toString()).inheritIO().start();
        assertThat(copy.waitFor()).isZero();
        Files.copy(good.path(), folder.resolve("cafe.jsonl"));

        String key = awaitFileKey(tenant, "contact_event/cafe.jsonl");
        assertThat(client.awaitFinal(tenant.key(), key, Duration.ofSeconds(60)).get("state").asText()).isEqualTo("completed");
        try (java.util.stream.Stream<Path> left = Files.list(folder)) {
            assertThat(left).as("the file with the Latin-1 name, still there").hasSize(1);
        }
        assertThat(app.dropFolder().resolve(".error").resolve(tenant.id())).doesNotExist();
    }

    @Test
    void aFileCopiedInAgainUnderTheSameNameSizeAndTimeIsAFileOfItsOwn() throws Exception {
        Tenant tenant = app.newTenant("again");
        JsonlFiles.Generated first = JsonlFiles.contactEvents(files, "again-a", 40, 0, false);
        JsonlFiles.Generated second = JsonlFiles.contactEvents(files, "again-b", 40, 0, false);
        assertThat(Files.size(first.path())).as("the same size").isEqualTo(Files.size(second.path()));
        FileTime time = FileTime.from(Instant.now().minus(Duration.ofMinutes(30)).truncatedTo(ChronoUnit.SECONDS));
        Path folder = Files.createDirectories(app.dropFolder().resolve(tenant.id()).resolve("contact_event"));
        Path sidecar = app.dropFolder().resolve(".done").resolve(tenant.id()).resolve("contact_event/daily.jsonl.file_key");

        Path dropped = folder.resolve("daily.jsonl");
        Files.copy(first.path(), dropped);
        Files.setLastModifiedTime(dropped, time);
        String firstKey = awaitFileKey(tenant, "contact_event/daily.jsonl");
        assertThat(client.awaitFinal(tenant.key(), firstKey, Duration.ofSeconds(60)).get("state").asText())
                .isEqualTo("completed");

        Files.copy(second.path(), dropped);
        Files.setLastModifiedTime(dropped, time);
        Await.until("the second file taken", Duration.ofSeconds(60), () -> !Files.exists(dropped)
                && !contentOf(sidecar).strip().equals(firstKey));
        String secondKey = Files.readString(sidecar).strip();
        assertThat(client.awaitFinal(tenant.key(), secondKey, Duration.ofSeconds(60)).get("state").asText())
                .isEqualTo("completed");
        List<String> expected = new ArrayList<>(first.validIds());
        expected.addAll(second.validIds());
        assertThat(Lake.sorted(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(),
                "contact_event/tenant=" + tenant.id() + "/"), "event_id"))).isEqualTo(Lake.sorted(expected));

        String id = DropFolderIntake.folderId(app.dropFolder());
        assertThat(DropFolderIntake.folderId(app.dropFolder())).as("kept").isEqualTo(id);
        assertThat(DropFolderIntake.folderId(Files.createDirectories(files.resolve("another-drop-folder"))))
                .as("another folder's").isNotEqualTo(id);
    }

    @Test
    void aZipIsReadEntryByEntryIntoTheLakeUnderOneStatus() throws IOException {
        Tenant tenant = app.newTenant("zipdrop");
        JsonlFiles.Generated a = JsonlFiles.contactEvents(files, "zip-a", 500, 0, false);
        JsonlFiles.Generated b = JsonlFiles.contactEvents(files, "zip-b", 300, 0, false);
        JsonlFiles.Generated c = JsonlFiles.contactEvents(files, "zip-c", 200, 0, true);
        Path zip = ZipFiles.builder()
                .folder("export/")
                .deflated("export/a.jsonl", Files.readAllBytes(a.path()))
                .deflated("export/b.jsonl", Files.readAllBytes(b.path()))
                .stored("export/c.jsonl.gz", Files.readAllBytes(c.path()))
                .writeTo(files.resolve("export.zip"));
        Path folder = Files.createDirectories(app.dropFolder().resolve(tenant.id()).resolve("contact_event"));

        Files.copy(zip, folder.resolve("export.zip"));

        String fileKey = awaitFileKey(tenant, "contact_event/export.zip");
        assertThat(fileKey).endsWith(".zip").contains("/source_system=dropfolder/tenant=" + tenant.id() + "/");
        JsonNode status = client.awaitFinal(tenant.key(), fileKey, Duration.ofSeconds(60));
        assertThat(status.get("state").asText()).isEqualTo("completed");
        assertThat(status.get("records_accepted").asLong()).isEqualTo(1_000);
        assertThat(status.get("records_rejected").asLong()).isZero();
        assertThat(status.get("entries_read").asLong()).isEqualTo(3);
        assertThat(status.get("entries_refused").asLong()).isZero();
        assertThat(status.get("bytes_total").asLong()).isEqualTo(Files.size(zip));
        assertThat(Lake.sortedValues(app.s3(), app.settings().lakeBucket(), "contact_event/tenant=" + tenant.id() + "/",
                "event_id")).isEqualTo(JsonlFiles.sortedValidIds(a, b, c));
    }

    @Test
    void unknownTenantAndUnknownStreamFoldersAreRefusedWithAReason() throws IOException {
        Tenant tenant = app.newTenant("refuse");
        JsonlFiles.Generated file = JsonlFiles.contactEvents(files, "refused", 10, 0, true);
        Path unknownTenant = Files.createDirectories(app.dropFolder().resolve("no-such-tenant").resolve("contact_event"));
        Path unknownStream = Files.createDirectories(app.dropFolder().resolve(tenant.id()).resolve("leads"));

        Files.copy(file.path(), unknownTenant.resolve("a.jsonl.gz"));
        Files.copy(file.path(), unknownStream.resolve("b.jsonl.gz"));

        Path errors = app.dropFolder().resolve(".error");
        String tenantReason = awaitContent(errors.resolve("no-such-tenant/contact_event/a.jsonl.gz.reason.txt"));
        String streamReason = awaitContent(errors.resolve(tenant.id() + "/leads/b.jsonl.gz.reason.txt"));
        assertThat(tenantReason).startsWith("unknown tenant 'no-such-tenant'");
        assertThat(streamReason).startsWith("unknown stream 'leads'").contains("account, contact, account_event, contact_event");
        // the reason is written first, then the file moved beside it
        Await.until("both files in .error/", Duration.ofSeconds(30), () -> Files.exists(errors.resolve(
                "no-such-tenant/contact_event/a.jsonl.gz")) && Files.exists(errors.resolve(tenant.id() + "/leads/b.jsonl.gz")));
        assertThat(Files.getPosixFilePermissions(errors)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Lake.partKeys(app.s3(), app.settings().lakeBucket(), "contact_event/tenant=no-such-tenant/")).isEmpty();
        assertThat(app.s3().listObjectsV2(b -> b.bucket(app.settings().inboxBucket())
                .prefix("data/tenants/objects/contact_event/source_system=dropfolder/tenant=no-such-tenant/")).keyCount()).isZero();
        assertThat(app.s3().listObjectsV2(b -> b.bucket(app.settings().archiveBucket())
                .prefix("data/tenants/objects/contact_event/source_system=dropfolder/tenant=no-such-tenant/")).keyCount()).isZero();
    }

    @Test
    void aFileWrittenSlowlyIsTakenOnceCompleteAndTempAndDotFilesAreLeftAlone() throws Exception {
        Tenant tenant = app.newTenant("slow");
        Path folder = Files.createDirectories(app.dropFolder().resolve(tenant.id()).resolve("contact"));
        Path hidden = folder.resolve(".draft.jsonl");
        Path temporary = folder.resolve("upload.jsonl.part");
        Files.writeString(hidden, "{\"contact_id\":\"hidden\",\"email\":\"h@acme.com\",\"contact_properties\":{}}\n");
        Files.writeString(temporary, "{\"contact_id\":\"temp\",\"email\":\"t@acme.com\",\"contact_properties\":{}}\n");

        Path slow = folder.resolve("slow.jsonl");
        List<String> ids = new ArrayList<>();
        try (OutputStream out = Files.newOutputStream(slow)) {
            for (int chunk = 0; chunk < 8; chunk++) {
                for (int i = 0; i < 50; i++) {
                    String id = "slow-" + chunk + "-" + i;
                    ids.add(id);
                    out.write(("{\"contact_id\":\"" + id + "\",\"email\":\"" + id + "@acme.com\",\"contact_properties\":{}}\n")
                            .getBytes(StandardCharsets.UTF_8));
                }
                out.flush();
                Thread.sleep(400); // 3.2 s of writing in all, each pause shorter than the 1 s settle time
            }
        }

        String fileKey = awaitFileKey(tenant, "contact/slow.jsonl");
        JsonNode status = client.awaitFinal(tenant.key(), fileKey, Duration.ofSeconds(60));
        assertThat(status.get("records_accepted").asLong()).isEqualTo(400);
        assertThat(Lake.sorted(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(), "contact/tenant=" + tenant.id() + "/"),
                "contact_id"))).isEqualTo(Lake.sorted(ids));
        // Exactly one hand-over for the slow file.
        String prefix = "data/tenants/objects/contact/source_system=dropfolder/tenant=" + tenant.id() + "/";
        Await.until("the move to the archive", Duration.ofSeconds(30), () -> app.s3().listObjectsV2(b -> b
                .bucket(app.settings().inboxBucket()).prefix(prefix)).keyCount() == 0);
        assertThat(app.s3().listObjectsV2(b -> b.bucket(app.settings().archiveBucket()).prefix(prefix)).contents())
                .extracting(o -> o.key()).containsExactly(fileKey);
        assertThat(hidden).exists();
        assertThat(temporary).exists();

        // Renamed when complete, the .part file is taken.
        Files.move(temporary, folder.resolve("upload.jsonl"), StandardCopyOption.ATOMIC_MOVE);
        String renamedKey = awaitFileKey(tenant, "contact/upload.jsonl");
        assertThat(client.awaitFinal(tenant.key(), renamedKey, Duration.ofSeconds(60)).get("records_accepted").asLong()).isOne();
        assertThat(hidden).exists();
    }

    /**
     * Files still being written, and files dated in the future, hold up nobody: the settling is decided at each look,
     * not waited for on the polling thread (Camel's read lock waited up to 10 s for each such file at every poll, in
     * front of every tenant's files: 33 s for one file beside four future-dated ones, 70 s beside five growing ones;
     * and never took the future-dated ones). A file a few minutes ahead (a writer's clock ahead) is taken; one dated
     * years ahead is refused with the reason (its time names its file key and its contacts' lake day).
     */
    @Test
    void filesStillBeingWrittenOrDatedInTheFutureHoldUpNobody() throws Exception {
        Tenant tenant = app.newTenant("waits");
        Path folder = Files.createDirectories(app.dropFolder().resolve(tenant.id()).resolve("contact"));
        String record = "{\"contact_id\":\"%s\",\"email\":\"%s@acme.com\",\"contact_properties\":{}}\n";
        List<Path> future = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Path dated = folder.resolve("future-" + i + ".jsonl");
            Files.writeString(dated, record.formatted("future-" + i, "future-" + i));
            Files.setLastModifiedTime(dated, FileTime.from(Instant.parse("2100-01-01T00:00:00Z")));
            future.add(dated);
        }
        List<OutputStream> growing = new ArrayList<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = new Thread(() -> {
            try {
                while (writing.get()) {
                    for (OutputStream out : growing) {
                        out.write(record.formatted("growing", "growing").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                    Thread.sleep(300);
                }
            } catch (IOException | InterruptedException e) {
                // the test ended
            }
        });
        try {
            for (int i = 0; i < 5; i++) {
                growing.add(Files.newOutputStream(folder.resolve("growing-" + i + ".jsonl")));
            }
            writer.start();
            Thread.sleep(1_500);

            long dropped = System.nanoTime();
            Files.writeString(folder.resolve("plain.jsonl"), record.formatted("plain", "plain"));
            awaitFileKey(tenant, "contact/plain.jsonl");
            assertThat(Duration.ofNanos(System.nanoTime() - dropped)).as("taken beside them")
                    .isLessThan(Duration.ofSeconds(20));
            for (Path dated : future) {
                assertThat(reasonFor(awaitRefused(tenant, "contact/" + dated.getFileName())))
                        .startsWith("its modification time, 2100-01-01T00:00:00Z, is more than 60 minutes ahead of this"
                                + " service's clock");
            }
            Path aheadAFewMinutes = folder.resolve("ahead.jsonl");
            Files.writeString(aheadAFewMinutes, record.formatted("ahead", "ahead"));
            Files.setLastModifiedTime(aheadAFewMinutes, FileTime.from(Instant.now().plus(Duration.ofMinutes(10))));
            awaitFileKey(tenant, "contact/ahead.jsonl");
            assertThat(folder.resolve("growing-0.jsonl")).as("still being written: not taken").exists();
        } finally {
            writing.set(false);
            writer.join(5_000);
            for (OutputStream out : growing) {
                out.close();
            }
        }
    }

    /**
     * A poll's files are handed over one after another, maybe minutes after the listing found them settled: one that
     * changed since is left to settle again, not cut at its size of the moment (here the intake is handed a listing
     * that saw the file smaller, as a listing before the writer went on would have).
     */
    @Test
    void aFileThatChangedSinceItWasListedIsLeftToSettleAgain() throws Exception {
        Tenant tenant = app.newTenant("resumed");
        Path folder = Files.createDirectories(app.dropFolder().resolve(tenant.id()).resolve("contact"));
        Path file = folder.resolve(".resumed.jsonl"); // a dot-name: the running drop-folder route leaves it alone
        Files.writeString(file, "{\"contact_id\":\"r\",\"email\":\"r@acme.com\",\"contact_properties\":{}}\n");
        DropFolderIntake intake = app.camel().getRegistry().lookupByNameAndType("dropFolderIntake", DropFolderIntake.class);
        Exchange listed = new DefaultExchange(app.camel());
        listed.getMessage().setHeader(Exchange.FILE_NAME, tenant.id() + "/contact/.resumed.jsonl");
        listed.getMessage().setHeader(Exchange.FILE_LENGTH, Files.size(file) - 10);
        listed.getMessage().setHeader(Exchange.FILE_LAST_MODIFIED, Files.getLastModifiedTime(file).toMillis());

        intake.handOver(listed);

        assertThat(file).as("left where it is").exists();
        assertThat(app.dropFolder().resolve(".done").resolve(tenant.id())).doesNotExist();
        assertNothingStored(tenant, "contact");
    }

    @Test
    void aSymbolicLinkToAFileOutsideIsRefusedWithoutBeingRead() throws IOException {
        Tenant tenant = app.newTenant("symlink");
        Path outside = Files.writeString(files.resolve("passwd"), "root:x:0:0:root:/root:/bin/bash\n");
        Path folder = Files.createDirectories(app.dropFolder().resolve(tenant.id()).resolve("contact"));

        Files.createSymbolicLink(folder.resolve("linked.jsonl"), outside);

        Path refused = awaitRefused(tenant, "contact/linked.jsonl");
        assertThat(Files.isSymbolicLink(refused)).as("the link itself is moved, not its target").isTrue();
        assertThat(Files.readSymbolicLink(refused)).isEqualTo(outside);
        assertThat(reasonFor(refused)).contains("symbolic link");
        assertThat(Files.readString(outside)).isEqualTo("root:x:0:0:root:/root:/bin/bash\n");
        assertNothingStored(tenant, "contact");
    }

    @Test
    void aHardLinkedFileIsRefusedWithoutBeingRead() throws IOException {
        Tenant tenant = app.newTenant("hardlink");
        Path outside = Files.writeString(files.resolve("secret.jsonl"),
                "{\"contact_id\":\"secret\",\"email\":\"s@acme.com\",\"contact_properties\":{}}\n");
        Path folder = Files.createDirectories(app.dropFolder().resolve(tenant.id()).resolve("contact"));

        Files.createLink(folder.resolve("linked.jsonl"), outside);

        Path refused = awaitRefused(tenant, "contact/linked.jsonl");
        assertThat(reasonFor(refused)).contains("hard link");
        assertThat(outside).exists();
        assertNothingStored(tenant, "contact");
    }

    @Test
    void nothingIsReadThroughASymbolicallyLinkedFolder() throws Exception {
        Tenant tenant = app.newTenant("linkdir");
        Tenant linkedTenant = app.newTenant("linkten");
        // Both link levels: a stream folder and a whole tenant folder pointing outside, each with a file that would be taken.
        Path outsideStream = Files.createDirectories(files.resolve("outside-stream"));
        Path outsideTenant = Files.createDirectories(files.resolve("outside-tenant").resolve("contact"));
        String record = "{\"contact_id\":\"outside\",\"email\":\"o@acme.com\",\"contact_properties\":{}}\n";
        Path streamFile = Files.writeString(outsideStream.resolve("secret.jsonl"), record);
        Path tenantFile = Files.writeString(outsideTenant.resolve("secret.jsonl"), record);
        Files.createDirectories(app.dropFolder().resolve(tenant.id()));
        Files.createSymbolicLink(app.dropFolder().resolve(tenant.id()).resolve("contact"), outsideStream);
        Files.createSymbolicLink(app.dropFolder().resolve(linkedTenant.id()), outsideTenant.getParent());

        // A real file dropped afterwards is taken: the folder was polled, links included, several times over.
        Path real = Files.createDirectories(app.dropFolder().resolve(tenant.id()).resolve("account")).resolve("real.jsonl");
        Files.writeString(real, "{\"account_id\":\"a\",\"domain\":\"acme.com\",\"account_properties\":{}}\n");
        awaitFileKey(tenant, "account/real.jsonl");

        assertThat(Files.readString(streamFile)).isEqualTo(record);
        assertThat(Files.readString(tenantFile)).isEqualTo(record);
        try (Stream<Path> left = Files.list(outsideStream)) {
            assertThat(left).as("no lock or marker files are written outside either").containsExactly(streamFile);
        }
        assertThat(app.dropFolder().resolve(".done").resolve(tenant.id()).resolve("contact")).doesNotExist();
        assertThat(app.dropFolder().resolve(".done").resolve(linkedTenant.id())).doesNotExist();
        assertNothingStored(tenant, "contact");
        assertNothingStored(linkedTenant, "contact");
    }

    @Test
    void aNamedPipeIsRefusedWithoutBeingOpenedAndOtherFilesStillFlow() throws Exception {
        Tenant tenant = app.newTenant("fifo");
        Path folder = Files.createDirectories(app.dropFolder().resolve(tenant.id()).resolve("contact"));
        Path fifo = folder.resolve("pipe.jsonl");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertThat(mkfifo.waitFor()).isZero();
        try {
            Path refused = awaitRefused(tenant, "contact/pipe.jsonl");
            assertThat(Files.isRegularFile(refused, LinkOption.NOFOLLOW_LINKS)).isFalse();
            assertThat(reasonFor(refused)).contains("not a regular file");

            Files.writeString(folder.resolve("after.jsonl"),
                    "{\"contact_id\":\"after\",\"email\":\"a@acme.com\",\"contact_properties\":{}}\n");
            String fileKey = awaitFileKey(tenant, "contact/after.jsonl");
            assertThat(client.awaitFinal(tenant.key(), fileKey, Duration.ofSeconds(60)).get("records_accepted").asLong()).isOne();
        } finally {
            unblockReaderOf(fifo);
        }
    }

    @Test
    void filesThatCanBeNeitherTakenNorMovedOutAreLeftAloneAndOtherFilesStillFlow() throws Exception {
        Tenant tenant = app.newTenant("stuck");
        Path folder = Files.createDirectories(app.dropFolder().resolve(tenant.id()).resolve("contact"));
        // a file where .error/ needs a folder of the same name: a refused file there cannot be moved out, and is
        // renamed in its own folder instead
        Path blocking = app.dropFolder().resolve(".error").resolve(tenant.id()).resolve("contact");
        Files.createDirectories(blocking.getParent());
        Files.writeString(blocking, "in the way\n");
        Path refused = Files.writeString(folder.resolve("notes.txt"), "not records\n");
        Path longName = Files.writeString(folder.resolve("x".repeat(DropFolderFilter.MAX_NAME_BYTES + 1) + ".jsonl"),
                "{\"contact_id\":\"long\",\"email\":\"l@acme.com\",\"contact_properties\":{}}\n");
        Thread.sleep(4_000); // listed at least once, with the settle time

        Files.writeString(folder.resolve("after.jsonl"),
                "{\"contact_id\":\"after\",\"email\":\"a@acme.com\",\"contact_properties\":{}}\n");
        long started = System.nanoTime();
        String fileKey = awaitFileKey(tenant, "contact/after.jsonl");

        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("not held up by the stuck files")
                .isLessThan(Duration.ofSeconds(15));
        assertThat(client.awaitFinal(tenant.key(), fileKey, Duration.ofSeconds(60)).get("records_accepted").asLong()).isOne();
        assertThat(refused).doesNotExist();
        assertThat(folder.resolve(".notes.txt.refused")).as("renamed in place to a name never taken").exists();
        assertThat(longName).exists();
        assertThat(Files.readString(blocking)).isEqualTo("in the way\n");
        assertThat(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(), "contact/tenant=" + tenant.id() + "/"),
                "contact_id")).containsExactly("after");
    }

    /** Waits until the entry was moved to .done/ or .error/ (checking the entry itself, not a link's target). */
    private static Path awaitRefused(Tenant tenant, String relative) {
        Path done = app.dropFolder().resolve(".done").resolve(tenant.id()).resolve(relative);
        Path error = app.dropFolder().resolve(".error").resolve(tenant.id()).resolve(relative);
        Await.until(relative + " moved to .done/ or .error/", Duration.ofSeconds(60),
                () -> Files.exists(done, LinkOption.NOFOLLOW_LINKS) || Files.exists(error, LinkOption.NOFOLLOW_LINKS));
        assertThat(Files.exists(done, LinkOption.NOFOLLOW_LINKS)).as(relative + " was taken").isFalse();
        return error;
    }

    private static String reasonFor(Path refused) {
        return awaitContent(refused.resolveSibling(refused.getFileName() + ".reason.txt"));
    }

    /** Not a byte of the tenant's stream in any bucket: no inbox or archive object, status, rejected records or part. */
    private static void assertNothingStored(Tenant tenant, String stream) {
        String fileKeys = "data/tenants/objects/" + stream + "/source_system=dropfolder/tenant=" + tenant.id() + "/";
        assertThat(keyCount(app.settings().inboxBucket(), fileKeys)).isZero();
        assertThat(keyCount(app.settings().archiveBucket(), fileKeys)).isZero();
        assertThat(keyCount(app.settings().lakeBucket(), "_status/" + fileKeys)).isZero();
        assertThat(keyCount(app.settings().lakeBucket(), "_rejected/" + fileKeys)).isZero();
        assertThat(keyCount(app.settings().lakeBucket(), stream + "/tenant=" + tenant.id() + "/")).isZero();
    }

    private static int keyCount(String bucket, String prefix) {
        return app.s3().listObjectsV2(b -> b.bucket(bucket).prefix(prefix)).keyCount();
    }

    /**
     * A pipe left where it was may have a reader blocked on it (the shared app's drop folder, which would stall the
     * other tests): give it an end of file each time it opens the pipe, until the pipe is moved away.
     */
    private static void unblockReaderOf(Path fifo) {
        if (Files.exists(fifo, LinkOption.NOFOLLOW_LINKS)) {
            Thread writer = new Thread(() -> {
                while (Files.exists(fifo, LinkOption.NOFOLLOW_LINKS)) {
                    try (OutputStream ignored = Files.newOutputStream(fifo, StandardOpenOption.WRITE)) {
                        // opening for writing and closing is the end of file
                    } catch (IOException gone) {
                        return;
                    }
                }
            });
            writer.setDaemon(true);
            writer.start();
        }
    }

    private static String contentOf(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private String awaitFileKey(Tenant tenant, String relative) {
        return awaitContent(app.dropFolder().resolve(".done").resolve(tenant.id()).resolve(relative + ".file_key")).strip();
    }

    private static String awaitContent(Path path) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (Files.exists(path)) {
                    String content = Files.readString(path);
                    if (content.endsWith("\n")) {
                        return content;
                    }
                }
                Thread.sleep(100);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError(path + " did not appear");
    }
}

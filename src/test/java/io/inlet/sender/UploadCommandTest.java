package io.inlet.sender;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Gunzip;
import io.inlet.Json;
import io.inlet.testing.BulkClient;
import io.inlet.testing.DroppingProxy;
import io.inlet.testing.InletApp;
import io.inlet.testing.InletApp.Tenant;
import io.inlet.testing.InletCli;
import io.inlet.testing.JsonlFiles;
import io.inlet.testing.Lake;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code upload} against the real service: HTTP to the app, the PUT to its embedded S3 through a TCP proxy (its
 * upload URLs name the proxy, as they would name a load balancer), which passes everything through unless a test
 * asks it to cut a PUT short.
 */
class UploadCommandTest {

    private static final ObjectMapper JSON = Json.mapper();

    static DroppingProxy s3Proxy;
    static InletApp app;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws IOException {
        int s3Port = InletApp.freePort();
        int proxyPort = InletApp.freePort();
        s3Proxy = new DroppingProxy(proxyPort, s3Port);
        app = InletApp.start(Map.of("inlet.s3.embedded.port", String.valueOf(s3Port),
                "inlet.s3.public-endpoint", "http://localhost:" + proxyPort));
    }

    @AfterAll
    static void stop() throws IOException {
        app.close();
        s3Proxy.close();
    }

    @Test
    void aPlainFileIsGzippedOnTheFlyAndAGzipFileSentAsItIsBothCompleteAndExitZero() throws IOException {
        Tenant tenant = app.newTenant("upload");
        // over 4 MiB, so that the plain file goes as two gzip members
        JsonlFiles.Generated plain = JsonlFiles.contactEvents(dir, "plain", 28_000, 0, false);
        JsonlFiles.Generated gzip = JsonlFiles.contactEvents(dir, "packed", 2_000, 0, true);
        assertThat(Files.size(plain.path())).isGreaterThan(BlockGzip.BLOCK_BYTES);

        InletCli.Run run = upload(tenant, plain.path(), gzip.path());

        assertThat(run.exitCode()).as(run.all()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines).contains(plain.path() + ": completed: 28000 accepted, 0 rejected",
                gzip.path() + ": completed: 2000 accepted, 0 rejected");
        assertThat(lines).anyMatch(l -> l.startsWith(plain.path() + ": not gzip, so gzipped on the fly: "));
        // progress as plain lines (the output is not a terminal), ending at 100 %
        assertThat(lines).anyMatch(l -> l.matches("upload\\s+100% \\S+ \\S+ / \\S+ \\S+.*"))
                .anyMatch(l -> l.matches("processing\\s+100% .*"));
        String plainKey = fileKey(lines, plain.path());
        String gzipKey = fileKey(lines, gzip.path());
        try (InputStream stored = new Gunzip(new ByteArrayInputStream(app.readUploaded(plainKey)))) {
            assertThat(stored.readAllBytes()).isEqualTo(Files.readAllBytes(plain.path()));
        }
        assertThat(app.readUploaded(gzipKey)).isEqualTo(Files.readAllBytes(gzip.path()));
        assertThat(lines).anyMatch(l -> l.matches("  lake: s3://" + app.settings().lakeBucket() + "/contact_event/tenant="
                + tenant.id() + "/dt=2025-06-0[123]/part-.*\\.jsonl\\.gz"));
        assertThat(Lake.values(Lake.records(app.s3(), app.settings().lakeBucket(), "contact_event/tenant=" + tenant.id()
                + "/"), "event_id")).hasSize(30_000);
        assertNoSecrets(run, tenant);
    }

    @Test
    void aFileWithInvalidLinesExitsTwoAndPrintsItsFirstRejections() throws IOException {
        Tenant tenant = app.newTenant("rejects");
        JsonlFiles.Generated mixed = JsonlFiles.contactEvents(dir, "mixed", 1_000, 100, false);

        InletCli.Run run = upload(tenant, mixed.path());

        assertThat(run.exitCode()).as(run.all()).isEqualTo(2);
        List<String> lines = run.out().lines().toList();
        int summary = lines.indexOf(mixed.path() + ": completed_with_errors: 990 accepted, 10 rejected");
        assertThat(summary).isNotNegative();
        assertThat(lines.subList(summary + 2, summary + 2 + UploadCommand.LISTED_REJECTIONS)).containsExactly(
                "  line 100: /contact_id: is required but missing",
                "  line 200: /contact_id: is required but missing",
                "  line 300: /contact_id: is required but missing",
                "  line 400: /contact_id: is required but missing",
                "  line 500: /contact_id: is required but missing");
        assertThat(lines.get(summary + 2 + UploadCommand.LISTED_REJECTIONS)).isEqualTo("  rejected lines (all 10, with why): s3://"
                + app.settings().lakeBucket() + "/_rejected/" + fileKey(lines, mixed.path()) + ".rejected.jsonl.gz");
        assertNoSecrets(run, tenant);
    }

    /** A zip archive goes as it is (not gzipped around it), and its rejections name their entry. */
    @Test
    void aZipArchiveIsSentAsItIsAndItsRejectionsNameTheirEntry() throws IOException {
        Tenant tenant = app.newTenant("zipped");
        JsonlFiles.Generated mixed = JsonlFiles.contactEvents(dir, "zipped", 300, 100, false);
        Path archive = dir.resolve("export.zip");
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(archive))) {
            zip.putNextEntry(new java.util.zip.ZipEntry("events.jsonl"));
            zip.write(Files.readAllBytes(mixed.path()));
            zip.closeEntry();
        }

        InletCli.Run run = upload(tenant, archive);

        assertThat(run.exitCode()).as(run.all()).isEqualTo(2);
        assertThat(run.all()).doesNotContain("gzipped on the fly");
        List<String> lines = run.out().lines().toList();
        assertThat(lines).contains(archive + ": completed_with_errors: 297 accepted, 3 rejected",
                "  entry 'events.jsonl' line 100: /contact_id: is required but missing");
    }

    /** A status not final within --status-timeout ends the command (exit 1, the file key named); the file goes on. */
    @Test
    void aStatusNotFinalInTheStatusTimeoutEndsTheCommandWithItsFileKey() throws IOException {
        Tenant tenant = app.newTenant("impatient");
        JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "impatient", 100, 0, false);

        // The first look at the status comes right after the confirmation, within the pipeline's batch window.
        InletCli.Run run = upload(tenant, "--status-timeout", "PT0.001S", file.path().toString());

        assertThat(run.exitCode()).as(run.all()).isEqualTo(1);
        String fileKey = fileKey(run.all().lines().toList(), file.path());
        assertThat(run.out()).contains(file.path() + ": still queued after PT0.001S (--status-timeout); the service goes "
                + "on with it: GET /ingestion/uploads/status?file_key=" + fileKey);
        JsonNode status = new BulkClient(app.baseUrl()).awaitFinal(tenant.key(), fileKey, java.time.Duration.ofSeconds(30));
        assertThat(status.get("state").asText()).isEqualTo("completed");
    }

    /** What the service would refuse whole as no text is not sent: the same verdict as validate's, at once. */
    @Test
    void aFileThatIsNoTextIsNotSentAndExitsOne() throws IOException {
        Tenant tenant = app.newTenant("binary");
        Path binary = Files.write(dir.resolve("photo.jsonl"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13});

        InletCli.Run run = upload(tenant, binary);

        assertThat(run.exitCode()).as(run.all()).isEqualTo(1);
        assertThat(run.out()).contains(binary + ": not gzip (it does not start with the gzip magic bytes 1f 8b) and not"
                + " JSONL text (3 control bytes in its first 8 bytes, the first (0x00) at byte 5, on line 1); nothing was"
                + " sent").doesNotContain("sending");
    }

    /** Help on every command; a URL Java cannot send to is bad input (64), not "lines rejected" (2). */
    @Test
    void helpIsOnEveryCommandAndABadUrlIsAUsageError() throws IOException {
        for (String[] help : List.of(new String[] {"upload", "--help"}, new String[] {"validate", "--help"},
                new String[] {"keys", "create", "--help"}, new String[] {"storage", "--help"})) {
            InletCli.Run run = InletCli.run(help);
            assertThat(run.exitCode()).as(run.all()).isZero();
            assertThat(run.out()).as(String.join(" ", help)).startsWith("Usage: inlet " + help[0]);
        }
        // --version said nothing (no version was given to picocli)
        InletCli.Run version = InletCli.run("--version");
        assertThat(version.exitCode()).isZero();
        assertThat(version.out()).startsWith("Inlet ").contains("Apache Camel 4.17.0");
        Path file = JsonlFiles.contactEvents(dir, "badurl", 10, 0, true).path();

        InletCli.Run run = InletCli.run("upload", "--url", "http:foo", "--key", "inlet_x", "--stream", "contact_event",
                file.toString());

        assertThat(run.exitCode()).as(run.all()).isEqualTo(64);
    }

    @Test
    void aWrongKeyIsRefusedWithTheServicesWordsAndExitsOne() throws IOException {
        JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "refused", 10, 0, true);
        Tenant nobody = new Tenant("nobody", "inlet_not-a-key-of-anyone");

        InletCli.Run run = upload(nobody, file.path());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).isEqualTo(file.path() + ": generate-upload-url refused: HTTP 401: Unknown API key\n");
        assertNoSecrets(run, nobody);
    }

    @Test
    void jsonPrintsEachFilesFinalStatusDocumentOnALineOfItsOwn() throws IOException {
        Tenant tenant = app.newTenant("json");
        JsonlFiles.Generated clean = JsonlFiles.contactEvents(dir, "clean", 100, 0, false);
        JsonlFiles.Generated mixed = JsonlFiles.contactEvents(dir, "mixed", 100, 50, true);

        InletCli.Run run = upload(tenant, "--json", clean.path().toString(), mixed.path().toString());

        assertThat(run.exitCode()).as(run.all()).isEqualTo(2);
        List<String> lines = run.out().lines().toList();
        assertThat(lines).hasSize(2);
        JsonNode first = JSON.readTree(lines.get(0));
        JsonNode second = JSON.readTree(lines.get(1));
        assertThat(first.get("state").asText()).isEqualTo("completed");
        assertThat(first.get("records_accepted").asLong()).isEqualTo(100);
        assertThat(second.get("state").asText()).isEqualTo("completed_with_errors");
        assertThat(second.get("first_rejections").get(0).get("line").asLong()).isEqualTo(50);
        assertThat(second.get("file_key").asText()).startsWith("data/tenants/objects/contact_event/source_system=dataapi/"
                + "tenant=" + tenant.id() + "/");
        // the status endpoint's own document, word for word
        assertThat(second).isEqualTo(JSON.readTree(app.get("/ingestion/uploads/status?file_key="
                + second.get("file_key").asText(), tenant.key()).body()));
        // progress went to stderr, out of the way of the documents
        assertThat(run.err()).contains("upload ").contains("processing ");
        assertNoSecrets(run, tenant);
    }

    @Test
    void aPutCutOffMidwayIsSentAgainFromTheStartAndTheFileArrivesWhole() throws IOException {
        Tenant tenant = app.newTenant("retry");
        JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "retried", 2_000, 0, false);
        int putsBefore = s3Proxy.putConnections();
        int droppedBefore = s3Proxy.dropped();
        s3Proxy.dropNextPuts(1);

        InletCli.Run run = upload(tenant, "--retry-delay", "PT0.1S", file.path().toString());

        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(s3Proxy.dropped() - droppedBefore).isEqualTo(1);
        assertThat(s3Proxy.putConnections() - putsBefore).isEqualTo(2);
        assertThat(run.out()).containsPattern("PUT failed \\(IOException[^)]*\\); attempt 2 of 5 in 0\\.\\d s")
                .contains(file.path() + ": completed: 2000 accepted, 0 rejected");
        try (InputStream stored = new Gunzip(new ByteArrayInputStream(app.readUploaded(fileKey(run.out().lines().toList(),
                file.path()))))) {
            assertThat(stored.readAllBytes()).isEqualTo(Files.readAllBytes(file.path()));
        }
        assertNoSecrets(run, tenant);
    }

    @Test
    void aPutThatGoesSilentIsCutOffAfterTheStallTimeoutAndSentAgain() throws IOException {
        Tenant tenant = app.newTenant("stall");
        JsonlFiles.Generated file = JsonlFiles.contactEvents(dir, "stalled", 2_000, 0, true);
        int stalledBefore = s3Proxy.dropped();
        s3Proxy.stallNextPuts(1);

        InletCli.Run run = upload(tenant, "--retry-delay", "PT0.1S", "--stall-timeout", "PT1S", file.path().toString());

        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(s3Proxy.dropped() - stalledBefore).isEqualTo(1);
        assertThat(run.out()).contains("PUT failed (HttpTimeoutException: nothing sent or answered for PT1S); attempt 2 of 5")
                .contains(file.path() + ": completed: 2000 accepted, 0 rejected");
        assertThat(app.readUploaded(fileKey(run.out().lines().toList(), file.path())))
                .isEqualTo(Files.readAllBytes(file.path()));
        assertNoSecrets(run, tenant);
    }

    /** A zip whose entries hold no JSONL said "0 accepted, 0 rejected" and nothing of the entries it refused. */
    @Test
    void aZipsRefusedEntriesAreNamedWithTheirReason() throws IOException {
        Tenant tenant = app.newTenant("zipnotes");
        Path zip = io.inlet.testing.ZipFiles.builder().deflated("notes.txt", "just some notes\n")
                .deflated("events.jsonl", "{\"event_id\":\"z-1\",\"contact_id\":\"c-1\",\"event\":\"signed_up\",\"event_timestamp\":"
                        + "\"2025-06-27T07:26:00Z\",\"event_properties\":{}}\n").writeTo(dir.resolve("notes.zip"));

        InletCli.Run run = upload(tenant, zip);

        assertThat(run.out()).as(run.all()).contains(zip + ": completed_with_errors: 1 accepted, 0 rejected; zip"
                + " entries: 1 read, 1 refused").containsPattern("  entry notes\\.txt: .+");
    }

    private static InletCli.Run upload(Tenant tenant, Path... files) {
        return upload(tenant, java.util.Arrays.stream(files).map(Path::toString).toArray(String[]::new));
    }

    private static InletCli.Run upload(Tenant tenant, String... rest) {
        String[] args = new String[rest.length + 7];
        System.arraycopy(new String[] {"upload", "--url", app.baseUrl(), "--key", tenant.key(), "--stream",
            "contact_event"}, 0, args, 0, 7);
        System.arraycopy(rest, 0, args, 7, rest.length);
        return InletCli.run(args);
    }

    private static String fileKey(List<String> lines, Path file) {
        String prefix = file + ": sending ";
        return lines.stream().filter(l -> l.startsWith(prefix)).findFirst()
                .map(l -> l.substring(l.indexOf(" as ") + 4)).orElseThrow(() -> new AssertionError("no file key for " + file));
    }

    /** Neither the API key nor an upload URL's signature is ever shown. */
    private static void assertNoSecrets(InletCli.Run run, Tenant tenant) {
        assertThat(run.all()).doesNotContain(tenant.key()).doesNotContainIgnoringCase("X-Amz-Signature")
                .doesNotContainIgnoringCase("X-Amz-Credential");
    }
}

package io.inlet.sender;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Json;
import io.inlet.testing.GzipMembers;
import io.inlet.testing.InletCli;
import io.inlet.testing.JsonlFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code validate}: files checked offline with the pipeline's reader and schemas, its words and exit codes. */
class ValidateCommandTest {

    private static final ObjectMapper JSON = Json.mapper();

    @TempDir
    Path dir;

    @Test
    void aValidFileExitsZeroAndAFileWithInvalidLinesNamesEachLinePointerAndWhyAndExitsTwo() throws IOException {
        JsonlFiles.Generated clean = JsonlFiles.contactEvents(dir, "clean", 3_000, 0, false);
        JsonlFiles.Generated mixed = JsonlFiles.contactEvents(dir, "mixed", 3_000, 1_000, true);
        Path malformed = dir.resolve("malformed.jsonl");
        Files.writeString(malformed, "{\"event_id\":\"e-1\",\"contact_id\":\"c-1\",\"event\":\"x\","
                + "\"event_timestamp\":\"2025-06-01T12:00:00Z\",\"event_properties\":{}}\n\n{not json\n");

        InletCli.Run valid = InletCli.run("validate", "--stream", "contact_event", clean.path().toString());
        assertThat(valid.exitCode()).isZero();
        assertThat(valid.out()).isEqualTo(clean.path() + ": 3000 records, all valid (an upload would end completed)\n");

        InletCli.Run invalid = InletCli.run("validate", "--stream", "contact_event", mixed.path().toString(),
                malformed.toString());
        assertThat(invalid.exitCode()).isEqualTo(2);
        assertThat(invalid.out().lines()).containsExactly(
                mixed.path() + ": line 1000: /contact_id: is required but missing",
                mixed.path() + ": line 2000: /contact_id: is required but missing",
                mixed.path() + ": line 3000: /contact_id: is required but missing",
                mixed.path() + ": 2997 valid, 3 rejected (an upload would end completed_with_errors)",
                malformed + ": line 3: malformed JSON at column 2: Unexpected character ('n' (code 110)): was expecting "
                        + "double-quote to start field name",
                malformed + ": 1 valid, 1 rejected (an upload would end completed_with_errors)");
    }

    @Test
    void maxErrorsLimitsWhatIsPrintedButNotTheCountsAndJsonSpeaksTheStatusDocumentsWords() throws IOException {
        JsonlFiles.Generated mixed = JsonlFiles.contactEvents(dir, "many", 2_000, 10, true);

        InletCli.Run text = InletCli.run("validate", "--stream", "contact_event", "--max-errors", "3",
                mixed.path().toString());
        assertThat(text.exitCode()).isEqualTo(2);
        assertThat(text.out().lines()).hasSize(4).last().isEqualTo(mixed.path()
                + ": 1800 valid, 200 rejected (200 errors, the first 3 shown) (an upload would end completed_with_errors)");

        InletCli.Run json = InletCli.run("validate", "--stream", "contact_event", "--max-errors", "2", "--json",
                mixed.path().toString());
        assertThat(json.exitCode()).isEqualTo(2);
        JsonNode report = JSON.readTree(json.out());
        assertThat(report.get("file").asText()).isEqualTo(mixed.path().toString());
        assertThat(report.get("stream").asText()).isEqualTo("contact_event");
        assertThat(report.get("state").asText()).isEqualTo("completed_with_errors");
        assertThat(report.get("records_accepted").asLong()).isEqualTo(1_800);
        assertThat(report.get("records_rejected").asLong()).isEqualTo(200);
        assertThat(report.get("first_rejections")).hasSize(2);
        assertThat(report.get("first_rejections").get(1).toString())
                .isEqualTo("{\"line\":20,\"pointer\":\"/contact_id\",\"message\":\"is required but missing\"}");
    }

    /** A zip archive is checked entry by entry, as the pipeline reads it: lines named by entry, other entries refused. */
    @Test
    void aZipArchiveIsCheckedEntryByEntryAndItsRefusedEntriesAreNamed() throws IOException {
        JsonlFiles.Generated clean = JsonlFiles.contactEvents(dir, "clean", 500, 0, false);
        JsonlFiles.Generated mixed = JsonlFiles.contactEvents(dir, "mixed", 500, 250, true);
        Path archive = dir.resolve("export.zip");
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(archive))) {
            zip.putNextEntry(new java.util.zip.ZipEntry("clean.jsonl"));
            zip.write(Files.readAllBytes(clean.path()));
            zip.putNextEntry(new java.util.zip.ZipEntry("notes.txt"));
            zip.write("not records".getBytes(StandardCharsets.UTF_8));
            zip.putNextEntry(new java.util.zip.ZipEntry("mixed.jsonl.gz"));
            zip.write(Files.readAllBytes(mixed.path()));
            zip.closeEntry();
        }

        InletCli.Run text = InletCli.run("validate", "--stream", "contact_event", archive.toString());
        assertThat(text.exitCode()).isEqualTo(2);
        assertThat(text.out().lines()).containsExactly(
                archive + ": entry 'mixed.jsonl.gz' line 250: /contact_id: is required but missing",
                archive + ": entry 'mixed.jsonl.gz' line 500: /contact_id: is required but missing",
                archive + ": entry 'notes.txt' refused: not a JSONL file: only entries named .jsonl, .ndjson or .json "
                        + "(optionally .gz) are read",
                archive + ": 998 valid, 2 rejected, 1 archive entries refused (an upload would end "
                        + "completed_with_errors)");

        JsonNode report = JSON.readTree(InletCli.run("validate", "--stream", "contact_event", "--json",
                archive.toString()).out());
        assertThat(report.get("entries_read").asLong()).isEqualTo(2);
        assertThat(report.get("entries_refused").asLong()).isEqualTo(1);
        assertThat(report.get("refused_entries").get(0).get("entry").asText()).isEqualTo("notes.txt");
        assertThat(report.get("first_rejections").get(0).get("entry").asText()).isEqualTo("mixed.jsonl.gz");
    }

    @Test
    void filesTheServiceCouldNotReadExitOneWithItsReason() throws IOException {
        JsonlFiles.Generated good = JsonlFiles.contactEvents(dir, "good", 100, 0, true);
        byte[] whole = Files.readAllBytes(good.path());
        Path truncated = dir.resolve("truncated.jsonl.gz");
        Files.write(truncated, Arrays.copyOf(whole, whole.length / 2));
        Path binary = dir.resolve("photo.jsonl");
        Files.write(binary, new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13});
        // the same bytes gzipped get the same verdict, rather than being read (and rejected, and kept) as lines
        Path binaryGzipped = dir.resolve("photo.jsonl.gz");
        Files.write(binaryGzipped, GzipMembers.gzip(Files.readAllBytes(binary)));
        Path missing = dir.resolve("missing.jsonl");
        Path folder = Files.createDirectory(dir.resolve("folder.jsonl"));

        InletCli.Run run = InletCli.run("validate", "--stream", "contact_event", "--json", good.path().toString(),
                truncated.toString(), binary.toString(), missing.toString(), binaryGzipped.toString(), folder.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        List<JsonNode> reports = run.out().lines().map(this::json).toList();
        assertThat(reports).extracting(r -> r.get("state").asText())
                .containsExactly("completed", "failed", "failed", "failed", "failed", "failed");
        assertThat(reports.get(5).get("failure_reason").asText()).isEqualTo("cannot be read: Is a directory");
        assertThat(reports.get(1).get("failure_reason").asText()).startsWith("truncated gzip");
        assertThat(reports.get(2).get("failure_reason").asText()).startsWith("not gzip")
                .endsWith("and not JSONL text (3 control bytes in its first 8 bytes, the first (0x00) at byte 5, on line 1)");
        assertThat(reports.get(3).get("failure_reason").asText()).isEqualTo("no such file");
        assertThat(reports.get(4).get("failure_reason").asText()).isEqualTo(
                "gzip, but what it holds is not JSONL text (3 control bytes in its first 8 bytes, the first (0x00) at byte 5,"
                        + " on line 1)");
    }

    /** A stray control byte near the start is its line's problem: that line is rejected, the file's others kept. */
    @Test
    void aControlByteInOneOfTheFirstLinesRejectsThatLineOnly() throws IOException {
        StringBuilder lines = new StringBuilder();
        for (int i = 1; i <= 300; i++) {
            lines.append("{\"event_id\":\"e-").append(i).append(i == 3 ? "\u0000" : "")
                    .append("\",\"contact_id\":\"c\",\"event\":\"x\",\"event_timestamp\":\"2025-06-27T07:26:00Z\",\"event_properties\":{}}\n");
        }
        Path file = Files.writeString(dir.resolve("one-nul.jsonl"), lines, StandardCharsets.UTF_8);

        JsonNode report = json(InletCli.run("validate", "--stream", "contact_event", "--json", file.toString()).out().strip());

        assertThat(report.get("state").asText()).isEqualTo("completed_with_errors");
        assertThat(report.get("records_accepted").asLong()).isEqualTo(299);
        assertThat(report.get("records_rejected").asLong()).isOne();
        assertThat(report.get("first_rejections").get(0).get("line").asLong()).isEqualTo(3);
        assertThat(report.get("first_rejections").get(0).get("message").asText()).contains("CTRL-CHAR, code 0");
    }

    /**
     * In a short file a few stray NULs are more than one byte in a hundred: still the problem of their line, as in the
     * same file gzipped (the whole file was once refused as binary, its valid record with it).
     */
    @Test
    void strayControlBytesInAShortFileRejectTheirLineOnlyAsInTheSameFileGzipped() throws IOException {
        String text = "{\"event_id\":\"e-1\",\"contact_id\":\"c\",\"event\":\"x\",\"event_timestamp\":\"2025-06-27T07:26:00Z\",\"event_properties\":{}}\n"
                + "{\"event_id\":\"e-2\",\"contact_id\":\"c\",\"event\":\"x\"}\u0000\u0000\n";
        Path plain = Files.writeString(dir.resolve("short.jsonl"), text, StandardCharsets.UTF_8);
        Path gzipped = dir.resolve("short.jsonl.gz");
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gzipped))) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }

        List<JsonNode> reports = InletCli.run("validate", "--stream", "contact_event", "--json", plain.toString(),
                gzipped.toString()).out().lines().map(this::json).toList();

        assertThat(reports).extracting(r -> r.get("state").asText())
                .containsExactly("completed_with_errors", "completed_with_errors");
        assertThat(reports).extracting(r -> r.get("records_accepted").asLong()).containsExactly(1L, 1L);
        assertThat(reports).extracting(r -> r.get("first_rejections").get(0).get("line").asLong()).containsExactly(2L, 2L);
    }

    /**
     * A line the parser breaks off on names the field it was in, as upload-json does for the same record: the
     * duplicate name (not the field read before it), the value with a raw control character, the field whose value
     * nests too deep (told in levels of the record, without Jackson's "from StreamReadConstraints").
     */
    @Test
    void aLineThatDoesNotParseNamesTheFieldItBrokeOffIn() throws IOException {
        String event = "\"event\":\"x\",\"event_timestamp\":\"2025-06-27T07:26:00Z\"";
        String text = "{\"event_id\":\"e-1\",\"contact_id\":\"c\"," + event + ",\"event_properties\":{},\"event_id\":\"e-9\"}\n"
                + "{\"event_id\":\"e-2\",\"contact_id\":\"c\u0000\"," + event + ",\"event_properties\":{}}\n"
                + "{\"event_id\":\"e-3\",\"contact_id\":\"c\"," + event + ",\"event_properties\":{\"x\":"
                + "[".repeat(999) + "]".repeat(999) + "}}\n";
        Path file = Files.writeString(dir.resolve("broken.jsonl"), text, StandardCharsets.UTF_8);

        JsonNode report = json(InletCli.run("validate", "--stream", "contact_event", "--json", file.toString()).out().strip());

        JsonNode rejections = report.get("first_rejections");
        assertThat(rejections.findValuesAsText("pointer")).containsExactly("/event_id", "/contact_id", "/event_properties");
        assertThat(rejections.get(0).get("message").asText()).contains("Duplicate field 'event_id'");
        assertThat(rejections.get(1).get("message").asText()).contains("CTRL-CHAR, code 0");
        assertThat(rejections.get(2).get("message").asText()).isEqualTo("nests deeper than 1000 levels, the most a record may");
    }

    @Test
    void anUnknownStreamIsAUsageErrorApartFromTheOutcomes() throws IOException {
        Path file = Files.writeString(dir.resolve("a.jsonl"), "{}\n", StandardCharsets.UTF_8);

        InletCli.Run run = InletCli.run("validate", "--stream", "contacts", file.toString());

        assertThat(run.exitCode()).isEqualTo(64);
        assertThat(run.err()).contains("'contacts' is not a stream; the streams are account, contact, account_event, "
                + "contact_event");
    }

    private JsonNode json(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new AssertionError(line, e);
        }
    }
}

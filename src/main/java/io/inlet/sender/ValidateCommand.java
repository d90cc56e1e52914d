package io.inlet.sender;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Inlet;
import io.inlet.Json;
import io.inlet.Settings;
import io.inlet.api.ApiError;
import io.inlet.pipeline.ArchiveEntries;
import io.inlet.pipeline.FileCheck;
import io.inlet.schema.RecordValidator;
import io.inlet.schema.Stream;
import io.inlet.status.RefusedEntry;
import io.inlet.status.UploadState;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code validate --stream S FILE...}: a dry run on the sender's machine, with no service and no S3. Each file is
 * checked by the pipeline's own reader and schemas ({@link FileCheck}), so what it reports is what an upload of the
 * file would end with.
 */
@Command(name = "validate", exitCodeOnInvalidInput = Verdict.USAGE, sortOptions = false,
        description = {"Check .jsonl or .jsonl.gz files (or .zip archives of them) offline, as the service would: the "
            + "same line reader and record schemas. Prints each rejected line (line, pointer, message), each refused "
            + "archive entry, and the counts.",
            "Exit code: 0 every record valid, 2 some lines rejected, 1 a file cannot be read (or the service would "
                + "fail it: not gzip nor text, a truncated gzip), 64 bad arguments."})
public final class ValidateCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--stream", required = true, paramLabel = "<stream>", converter = StreamName.class,
            description = "The stream the records are for: account, contact, account_event or contact_event.")
    Stream stream;

    @Option(names = "--max-errors", defaultValue = "100", paramLabel = "<n>",
            description = "Print at most this many errors of each file (the counts are always complete). Default: 100.")
    int maxErrors;

    @Option(names = "--json", description = "Print one JSON object a file (its state, counts, first_rejections, "
            + "failure_reason: the status document's words) instead of text.")
    boolean json;

    @Option(names = "--threads", paramLabel = "<n>",
            description = "Threads that check lines while the file is read. Default: the number of cores.")
    Integer threads;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "JSONL files, gzip or not (told by their bytes).")
    List<Path> files;

    @Override
    public Integer call() throws Exception {
        if (maxErrors < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-errors must be 0 or more");
        }
        int checkThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (checkThreads < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be 1 or more");
        }
        // The service's own limits (max-line-bytes, the gzip bomb ratio, lake parts), with the same -D and environment overrides.
        Settings.Pipeline pipeline = Inlet.standaloneSettings().pipeline();
        ObjectMapper mapper = Json.mapper();
        PrintWriter out = spec.commandLine().getOut();
        ExecutorService pool = DaemonThreads.pool("inlet-validate", checkThreads);
        try {
            FileCheck check = new FileCheck(mapper, new RecordValidator(), stream, pipeline, pool, 2 * checkThreads);
            Verdict verdict = Verdict.COMPLETED;
            for (Path file : files) {
                Report report = validate(check, file, out);
                verdict = verdict.and(Verdict.of(report.state()));
                if (json) {
                    out.println(mapper.writeValueAsString(report));
                } else {
                    out.println(summary(report));
                }
                out.flush();
            }
            return verdict.exitCode;
        } finally {
            pool.shutdownNow();
            out.flush();
        }
    }

    private Report validate(FileCheck check, Path file, PrintWriter out)
            throws InterruptedException {
        List<ApiError> shown = new ArrayList<>();
        long[] errors = {0};
        FileCheck.Outcome outcome;
        try (InputStream in = Files.newInputStream(file)) {
            outcome = check.check(in, (entry, line, problems) -> {
                for (var problem : problems) {
                    errors[0]++;
                    if (shown.size() < maxErrors) {
                        shown.add(ApiError.atLine(entry, line, problem.pointer(), problem.message()));
                        if (!json) {
                            out.println(file + ": " + RejectionText.of(entry, line, problem.pointer(),
                                    problem.message()));
                        }
                    }
                }
            });
        } catch (NoSuchFileException e) {
            return Report.unreadable(file, stream, "no such file");
        } catch (IOException e) {
            return Report.unreadable(file, stream, "cannot be read: " + e.getMessage());
        }
        if (outcome.failureReason() != null) {
            return new Report(file.toString(), stream.wireName(), UploadState.FAILED, 0, 0, null,
                    outcome.failureReason(), null, 0);
        }
        ArchiveEntries entries = outcome.entries();
        boolean refusedEntries = entries != null && entries.refused() > 0;
        if (refusedEntries && !json) {
            entries.firstRefused().forEach(refused -> out.println(file + ": entry '" + refused.entry()
                    + "' refused: " + refused.reason()));
        }
        // as in the pipeline: a refused entry of an archive makes it completed_with_errors, like a rejected line
        UploadState state = outcome.rejected() > 0 || refusedEntries
                ? UploadState.COMPLETED_WITH_ERRORS : UploadState.COMPLETED;
        return new Report(file.toString(), stream.wireName(), state, outcome.accepted(), outcome.rejected(),
                shown, null, entries, errors[0]);
    }

    private static String summary(Report report) {
        String file = report.file();
        return switch (report.state()) {
            case COMPLETED -> file + ": " + report.recordsAccepted() + " records, all valid (an upload would end "
                    + "completed)";
            case COMPLETED_WITH_ERRORS -> file + ": " + report.recordsAccepted() + " valid, " + report.recordsRejected()
                    + " rejected" + (report.entries() != null && report.entries().refused() > 0
                            ? ", " + report.entries().refused() + " archive entries refused" : "")
                    + (report.errors() > report.firstRejections().size()
                            ? " (" + report.errors() + " errors, the first " + report.firstRejections().size() + " shown)"
                            : "")
                    + " (an upload would end completed_with_errors)";
            default -> file + ": " + report.failureReason() + " (an upload would fail: nothing of it would be kept)";
        };
    }

    /** One file's result, in the status document's words, as {@code --json} prints it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"file", "stream", "state", "records_accepted", "records_rejected", "first_rejections",
        "failure_reason", "entries_read", "entries_refused", "refused_entries"})
    record Report(
            @JsonProperty("file") String file,
            @JsonProperty("stream") String stream,
            @JsonProperty("state") UploadState state,
            @JsonProperty("records_accepted") long recordsAccepted,
            @JsonProperty("records_rejected") long recordsRejected,
            @JsonProperty("first_rejections") List<ApiError> firstRejections,
            @JsonProperty("failure_reason") String failureReason,
            /** For a zip archive: its entries read and refused, as the status document's fields say them. */
            @JsonIgnore ArchiveEntries entries,
            /** Every problem of every rejected line (a line can have several); first_rejections holds the first ones. */
            @JsonIgnore long errors) {

        static Report unreadable(Path file, Stream stream, String reason) {
            return new Report(file.toString(), stream.wireName(), UploadState.FAILED, 0, 0, null, reason, null, 0);
        }

        @JsonProperty("entries_read")
        Long entriesRead() {
            return entries == null ? null : entries.read();
        }

        @JsonProperty("entries_refused")
        Long entriesRefused() {
            return entries == null ? null : entries.refused();
        }

        @JsonProperty("refused_entries")
        List<RefusedEntry> refusedEntries() {
            return entries == null ? null : entries.firstRefused();
        }
    }
}

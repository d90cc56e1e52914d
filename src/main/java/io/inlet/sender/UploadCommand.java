package io.inlet.sender;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.FileMagic;
import io.inlet.Inlet;
import io.inlet.Json;
import io.inlet.Settings;
import io.inlet.api.ErrorBody;
import io.inlet.pipeline.FileCheck;
import io.inlet.schema.Stream;
import io.inlet.status.UploadState;
import io.inlet.upload.UploadUrlResponse;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code upload --url URL --stream S FILE...}: the whole presigned flow for each file, one after the other — a
 * plain file gzipped on the fly ({@link BlockGzip}), an upload URL, the PUT with a progress bar and retries, the
 * confirmation, then the status followed to its end with a second bar — and a summary of how each ended.
 * The API key and the upload URL's signature are never printed.
 */
@Command(name = "upload", exitCodeOnInvalidInput = Verdict.USAGE, sortOptions = false,
        description = {"Send .jsonl or .jsonl.gz files to an Inlet service: gzips plain files on the fly, uploads each "
            + "through a presigned URL with a progress bar, confirms it, follows its processing and prints how it "
            + "ended (state, records accepted and rejected, the first rejections, lake keys).",
            "Exit code: 0 every file completed, 2 some lines rejected (completed_with_errors), 1 a file failed or "
                + "was refused, 64 bad arguments."})
public final class UploadCommand implements Callable<Integer> {

    /** How many of a file's rejections and lake keys the summary lists (--json has them all). */
    static final int LISTED_REJECTIONS = 5;
    static final int LISTED_LAKE_KEYS = 10;
    private static final Set<String> FINAL_STATES = Set.of(UploadState.COMPLETED.wireName(),
            UploadState.COMPLETED_WITH_ERRORS.wireName(), UploadState.FAILED.wireName(), UploadState.EXPIRED.wireName());
    private static final Duration MAX_POLL_INTERVAL = Duration.ofSeconds(2);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--url", required = true, paramLabel = "<url>",
            description = "The service, e.g. http://localhost:8080.")
    String url;

    @Option(names = "--key", paramLabel = "<key>",
            description = "The API key. Default: the environment variable INLET_KEY (better: a command line is "
                    + "visible to other users of the machine).")
    String key;

    @Option(names = "--stream", required = true, paramLabel = "<stream>", converter = StreamName.class,
            description = "The stream the records are for: account, contact, account_event or contact_event.")
    Stream stream;

    @Option(names = "--json", description = "Print each file's final status document (one JSON object a line, in "
            + "the order of the files) instead of the summary; progress goes to stderr.")
    boolean json;

    @Option(names = "--attempts", defaultValue = "5", paramLabel = "<n>",
            description = "Attempts at each request before giving up (a PUT starts again from the first byte). "
                    + "Default: 5.")
    int attempts;

    @Option(names = "--retry-delay", defaultValue = "PT1S", paramLabel = "<ISO-8601 duration>",
            description = "The wait before the first retry, doubling with each one (or the answer's Retry-After). "
                    + "Default: PT1S.")
    Duration retryDelay;

    @Option(names = "--stall-timeout", defaultValue = "PT2M", paramLabel = "<ISO-8601 duration>",
            description = "A PUT that sends nothing and gets no answer for this long is cut off and tried again. "
                    + "Default: PT2M.")
    Duration stallTimeout;

    @Option(names = "--status-timeout", defaultValue = "PT1H", paramLabel = "<ISO-8601 duration>",
            description = "Stop following a confirmed file's status when it is not final after this long (exit 1, "
                    + "its file key printed; the service goes on with it). Default: PT1H.")
    Duration statusTimeout;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "JSONL files, gzip or not (told by their bytes).")
    List<Path> files;

    @Override
    public Integer call() throws Exception {
        String apiKey = key != null ? key : System.getenv("INLET_KEY");
        if (apiKey == null || apiKey.isBlank()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Give the API key with --key or INLET_KEY");
        }
        URI service;
        try {
            service = new URI(url);
        } catch (URISyntaxException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--url is not a URL: " + e.getMessage());
        }
        if (!"http".equals(service.getScheme()) && !"https".equals(service.getScheme()) || service.getHost() == null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--url must be an http:// or https:// address, like http://localhost:8080");
        }
        if (attempts < 1 || !isPositive(retryDelay) || !isPositive(stallTimeout) || !isPositive(statusTimeout)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--attempts must be 1 or more, --retry-delay, --stall-timeout and --status-timeout longer than zero");
        }
        Settings settings = Inlet.standaloneSettings();
        Limits limits = new Limits(settings.pipeline().maxExpansionRatio(), settings.uploadMaxBytes());
        PrintWriter out = spec.commandLine().getOut();
        // With --json, stdout carries the documents alone.
        PrintWriter notes = json ? spec.commandLine().getErr() : out;
        PrintStream terminal = json ? System.err : System.out;
        int cores = Runtime.getRuntime().availableProcessors();
        ExecutorService pool = DaemonThreads.pool("inlet-upload-gzip", cores);
        Thread interruptNote = null;
        try {
            ObjectMapper mapper = Json.mapper();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();
            Retries retries = new Retries(attempts, retryDelay, notes);
            ProgressBars bars = ProgressBars.on(terminal, notes);
            // Interrupted (Ctrl-C) once a file is confirmed, the command ends but the service goes on with the file:
            // said, since the same command run again would store its records a second time.
            AtomicReference<String> confirmed = new AtomicReference<>();
            interruptNote = new Thread(() -> {
                String note = confirmed.get();
                if (note != null) {
                    notes.println();
                    notes.println(note);
                    notes.flush();
                }
            }, "inlet-upload-interrupted");
            Runtime.getRuntime().addShutdownHook(interruptNote);
            Sender sender = new Sender(stream, new IngestionApi(http, url, apiKey, retries, mapper),
                    new PresignedPut(http, retries, bars, stallTimeout), new BlockGzip(pool, cores), bars, notes,
                    statusTimeout, limits, confirmed);
            Verdict verdict = Verdict.COMPLETED;
            for (Path file : files) {
                Sent sent = sender.send(file);
                verdict = verdict.and(sent.verdict());
                if (json) {
                    out.println(mapper.writeValueAsString(sent.status() != null ? sent.status() : sent.refusal()));
                } else {
                    printSummary(out, sent);
                }
                out.flush();
            }
            return verdict.exitCode;
        } finally {
            if (interruptNote != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(interruptNote);
                } catch (IllegalStateException exiting) {
                    // the JVM is exiting already: the note is on its way
                }
            }
            pool.shutdownNow();
            out.flush();
        }
    }

    private static boolean isPositive(Duration duration) {
        return !duration.isNegative() && !duration.isZero();
    }

    /** How one file ended: its final status document, or why it never got one. */
    record Sent(Path file, Verdict verdict, JsonNode status, ErrorBody refusal) {

        static Sent of(Path file, JsonNode status) {
            return new Sent(file, Verdict.of(status.path("state").asText()), status, null);
        }

        /** @param why what went wrong, naming the file */
        static Sent failed(Path file, String why) {
            return new Sent(file, Verdict.FAILED, null, ErrorBody.of(why, List.of()));
        }

        static Sent refused(Path file, Refused refused) {
            return new Sent(file, Verdict.FAILED, null, ErrorBody.of(file + ": " + refused.getMessage(),
                    refused.body().errors() == null ? List.of() : refused.body().errors()));
        }
    }

    /**
     * The service's limits a file is sent under, as this machine's settings give them (the service's defaults, and
     * the same -D and environment overrides): a service set otherwise may judge a file differently.
     */
    private record Limits(long maxExpansionRatio, long maxUploadBytes) {
    }

    /** The steps for one file; what failed, and at which step, ends up in its {@link Sent}. */
    private record Sender(Stream stream, IngestionApi api, PresignedPut put, BlockGzip gzip, ProgressBars bars,
            PrintWriter notes, Duration statusTimeout, Limits limits, AtomicReference<String> confirmed) {

        Sent send(Path file) throws InterruptedException {
            String step = "reading the file";
            try {
                UploadBody body = body(file);
                step = "asking for an upload URL";
                UploadUrlResponse upload = api.generateUploadUrl(stream);
                notes.println(file + ": sending " + ProgressBars.bytes(body.length()) + " as " + upload.fileKey());
                notes.flush();
                step = "uploading";
                put.put(upload.uploadUrl(), body);
                step = "confirming";
                api.confirm(upload.fileKey());
                confirmed.set(file + ": interrupted after it was confirmed as " + upload.fileKey() + ": the service"
                        + " processes it all the same (GET /ingestion/uploads/status?file_key=" + upload.fileKey()
                        + "); sending it again would store its records twice");
                step = "following its status";
                JsonNode status;
                try {
                    status = follow(upload.fileKey(), body.length());
                } finally {
                    confirmed.set(null);
                }
                if (!FINAL_STATES.contains(status.path("state").asText())) {
                    return Sent.failed(file, file + ": still " + status.path("state").asText() + " after "
                            + statusTimeout + " (--status-timeout); the service goes on with it: GET "
                            + "/ingestion/uploads/status?file_key=" + upload.fileKey());
                }
                return Sent.of(file, status);
            } catch (Refused refused) {
                return Sent.refused(file, refused);
            } catch (NoSuchFileException e) {
                return Sent.failed(file, file + ": no such file");
            } catch (LocalFileException e) {
                return Sent.failed(file, e.getMessage());
            } catch (IOException e) {
                return Sent.failed(file, file + ": failed while " + step + ": " + Retries.describe(e));
            }
        }

        private UploadBody body(Path file) throws IOException, InterruptedException {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                throw new LocalFileException(file + " is not a regular file", null);
            }
            byte[] head;
            try (InputStream in = Files.newInputStream(file)) {
                head = in.readNBytes(FileCheck.headBytes());
            }
            // Sent as they are: a gzip, and a zip archive (already compressed, and the service reads an archive by its
            // magic bytes, whatever its name; a gzip around it would hide them).
            if (FileMagic.isGzip(head) || FileMagic.isZip(head)) {
                return UploadBody.asItIs(file, attributes.size());
            }
            // what the service would refuse whole is not sent (nor gzipped first: a sparse file takes long to)
            String notText = FileCheck.refusalOfPlain(head);
            if (notText != null) {
                throw new LocalFileException(file + ": " + notText + "; nothing was sent", null);
            }
            BlockGzip.Plan plan;
            try (ProgressBar bar = bars.start("gzip", attributes.size())) {
                plan = gzip.plan(file, bar::stepTo);
            }
            if (gzip.inflatesLikeABomb(plan, limits.maxExpansionRatio()) && attributes.size() <= limits.maxUploadBytes()) {
                // very repetitive lines: the service would refuse the gzip as a bomb, and takes the file as it is
                notes.println(file + ": gzipped it would be " + ProgressBars.bytes(plan.gzipBytes()) + ", more than "
                        + limits.maxExpansionRatio() + " times smaller, which the service refuses as a gzip bomb; sent as"
                        + " it is");
                return UploadBody.asItIs(file, attributes.size());
            }
            notes.println(file + ": not gzip, so gzipped on the fly: " + ProgressBars.bytes(attributes.size()) + " -> "
                    + ProgressBars.bytes(plan.gzipBytes()));
            return UploadBody.gzipped(gzip, plan);
        }

        /**
         * Polls the status document until it is final, with a bar on bytes_read of bytes_total; the last one read
         * when it is not final after the status timeout.
         */
        private JsonNode follow(String fileKey, long size) throws Refused, IOException, InterruptedException {
            long deadline = System.nanoTime() + statusTimeout.toNanos();
            try (ProgressBar bar = bars.start("processing", size)) {
                long waitMillis = 250;
                while (true) {
                    JsonNode status = api.status(fileKey);
                    String state = status.path("state").asText();
                    if (status.path("bytes_total").asLong() > 0) {
                        bar.maxHint(status.path("bytes_total").asLong());
                    }
                    bar.stepTo(status.path("bytes_read").asLong(bar.getCurrent()));
                    // the bar says how far processing is; other states are worth a word
                    bar.setExtraMessage(state.equals(UploadState.PROCESSING.wireName()) ? "" : "  " + state);
                    if (FINAL_STATES.contains(state)) {
                        if (state.startsWith("completed")) {
                            bar.stepTo(bar.getMax());
                        }
                        return status;
                    }
                    if (System.nanoTime() - deadline > 0) {
                        return status;
                    }
                    Thread.sleep(waitMillis);
                    waitMillis = Math.min(MAX_POLL_INTERVAL.toMillis(), waitMillis * 3 / 2);
                }
            }
        }
    }

    private static void printSummary(PrintWriter out, Sent sent) {
        JsonNode status = sent.status();
        if (status == null) {
            out.println(sent.refusal().message());
            sent.refusal().errors().forEach(e -> out.println("  " + (e.pointer() == null ? "" : e.pointer() + ": ")
                    + e.message()));
            return;
        }
        String state = status.path("state").asText();
        if (!state.startsWith("completed")) {
            out.println(sent.file() + ": " + state + ": " + status.path("failure_reason").asText("(no reason given)"));
            out.println("  file_key: " + status.path("file_key").asText());
            return;
        }
        long rejected = status.path("records_rejected").asLong();
        out.println(sent.file() + ": " + state + ": " + status.path("records_accepted").asLong() + " accepted, "
                + rejected + " rejected" + (status.path("entries_refused").asLong(0) > 0 ? "; zip entries: "
                + status.path("entries_read").asLong() + " read, " + status.path("entries_refused").asLong() + " refused"
                : ""));
        out.println("  file_key: " + status.path("file_key").asText());
        // a zip's entries that were not read at all (no JSONL in them): which, and why
        JsonNode refusedEntries = status.path("refused_entries");
        for (int i = 0; i < Math.min(LISTED_REJECTIONS, refusedEntries.size()); i++) {
            out.println("  entry " + refusedEntries.get(i).path("entry").asText() + ": "
                    + refusedEntries.get(i).path("reason").asText());
        }
        if (refusedEntries.size() > LISTED_REJECTIONS) {
            out.println("  and " + (refusedEntries.size() - LISTED_REJECTIONS) + " more refused entries (--json lists them)");
        }
        String lake = status.path("lake_bucket").asText("");
        String in = lake.isEmpty() ? "" : "s3://" + lake + "/";
        JsonNode rejections = status.path("first_rejections");
        for (int i = 0; i < Math.min(LISTED_REJECTIONS, rejections.size()); i++) {
            JsonNode r = rejections.get(i);
            out.println("  " + RejectionText.of(r.path("entry").asText(null), r.path("line").asLong(),
                    r.path("pointer").asText(""), r.path("message").asText()));
        }
        if (status.hasNonNull("rejected_key")) {
            long notKept = status.path("rejected_not_kept").asLong(0);
            String which = notKept > 0 ? " (the first " + (rejected - notKept) + " of " + rejected + ", with why; the other "
                    + notKept + " were counted, not kept)"
                    : rejected > Math.min(LISTED_REJECTIONS, rejections.size()) ? " (all " + rejected + ", with why)" : "";
            out.println("  rejected lines" + which + ": " + in + status.path("rejected_key").asText());
        }
        JsonNode lakeKeys = status.path("lake_keys");
        for (int i = 0; i < Math.min(LISTED_LAKE_KEYS, lakeKeys.size()); i++) {
            out.println("  lake: " + in + lakeKeys.get(i).asText());
        }
        if (lakeKeys.size() > LISTED_LAKE_KEYS) {
            out.println("  and " + (lakeKeys.size() - LISTED_LAKE_KEYS) + " more lake files (--json lists them all)");
        }
    }
}

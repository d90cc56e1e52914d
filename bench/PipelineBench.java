import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Inlet;
import io.inlet.tenant.ApiKeys;
import org.apache.camel.main.Main;

/**
 * Throughput and memory of the real pipeline: S3 in (presigned PUT into the embedded S3, confirm), the bucket
 * watch, validation, lake out (gzip part files in S3). Compared, in the same run, with plain gunzip of the
 * same files. Run it with bench/run.sh; see docs/PERFORMANCE.md.
 */
public final class PipelineBench {

    static final String[] STREAMS = {"contact_event", "account_event", "contact", "account"};
    static final String[] TENANTS = {"acme", "globex", "initech"};
    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        long records = 2_000_000;
        int files = 4;
        boolean validateOnly = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--records" -> records = Long.parseLong(args[++i].replace("_", ""));
                case "--files" -> files = Integer.parseInt(args[++i]);
                case "--validate" -> validateOnly = true;
                default -> throw new IllegalArgumentException("usage: PipelineBench [--records N] [--files N] [--validate]");
            }
        }
        Path work = Files.createTempDirectory("inlet-bench-");
        System.out.printf(Locale.ROOT, "Inlet pipeline benchmark: %,d records in %d gzip JSONL files, 1%% invalid, %d cores, -Xmx%d MB%n",
                records, files, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);

        List<BenchFile> generated = new ArrayList<>();
        for (int f = 0; f < files; f++) {
            generated.add(generate(work, f, records / files + (f < records % files ? 1 : 0)));
        }
        long rawBytes = generated.stream().mapToLong(BenchFile::rawBytes).sum();
        long gzBytes = 0;
        for (BenchFile file : generated) {
            gzBytes += Files.size(file.path());
        }
        System.out.printf(Locale.ROOT, "Generated %,d MB of JSONL (%,d MB gzip), %.0f bytes a line%n",
                rawBytes >> 20, gzBytes >> 20, (double) rawBytes / records);

        // Baselines on the same files, in the same run.
        double javaGunzip = time(() -> {
            for (BenchFile file : generated) {
                javaGunzipLines(file.path());
            }
        });
        double gzipTool = time(() -> {
            for (BenchFile file : generated) {
                new ProcessBuilder("sh", "-c", "gzip -dc '" + file.path() + "' > /dev/null").inheritIO().start().waitFor();
            }
        });

        if (validateOnly) {
            System.exit(validate(generated, records, rawBytes, gzipTool, work));
        }

        // The service, in this JVM, on its embedded S3.
        Main main = Inlet.newMain();
        Properties settings = new Properties();
        settings.setProperty("inlet.data-dir", work.resolve("data").toString());
        settings.setProperty("inlet.dropfolder.dir", work.resolve("drop").toString());
        settings.setProperty("camel.server.port", String.valueOf(freePort()));
        settings.setProperty("inlet.s3.embedded.port", String.valueOf(freePort()));
        ApiKeys keys = new ApiKeys(work.resolve("data").resolve("api-keys.json"));
        java.util.Map<String, String> keyOf = new java.util.HashMap<>();
        for (String tenant : TENANTS) {
            keyOf.put(tenant, keys.create(tenant).key());
        }
        main.setOverrideProperties(settings);
        main.start();
        String baseUrl = "http://localhost:" + settings.getProperty("camel.server.port");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        // Upload first (the PUT is not the pipeline's work), then confirm all and time until all are final.
        List<String> fileKeys = new ArrayList<>();
        for (BenchFile file : generated) {
            JsonNode url = JSON.readTree(post(http, baseUrl + "/ingestion/generate-upload-url", keyOf.get(file.tenant()),
                    "{\"stream\":\"" + file.stream() + "\",\"content_type\":\"application/jsonl\",\"content_encoding\":\"gzip\"}"));
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(url.get("upload_url").asText()))
                    .PUT(HttpRequest.BodyPublishers.ofFile(file.path())).build(), HttpResponse.BodyHandlers.ofString());
            if (put.statusCode() != 200) {
                throw new IllegalStateException("PUT failed: " + put.statusCode());
            }
            fileKeys.add(url.get("file_key").asText());
        }
        System.gc();
        HeapSampler sampler = new HeapSampler();
        sampler.start();
        long gcBefore = gcMillis();
        long start = System.nanoTime();
        for (int i = 0; i < generated.size(); i++) {
            post(http, baseUrl + "/ingestion/confirm-upload", keyOf.get(generated.get(i).tenant()),
                    "{\"file_key\":\"" + fileKeys.get(i) + "\"}");
        }
        long accepted = 0;
        long rejected = 0;
        for (int i = 0; i < generated.size(); i++) {
            JsonNode status = awaitFinal(http, baseUrl, keyOf.get(generated.get(i).tenant()), fileKeys.get(i));
            accepted += status.get("records_accepted").asLong();
            rejected += status.get("records_rejected").asLong();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long gcMillis = gcMillis() - gcBefore;
        sampler.interrupt();
        sampler.join();
        long peakHeap = sampler.peak;
        System.gc();
        long liveAfter = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        main.stop();

        long expectedInvalid = generated.stream().mapToLong(BenchFile::invalid).sum();
        printTimes(records, rawBytes, "Inlet pipeline (S3 -> lake)", seconds, "baseline: gunzip (Java, 1 thread)", javaGunzip,
                "baseline: gzip -dc > /dev/null", gzipTool);
        System.out.printf(Locale.ROOT, "pipeline / gunzip time: %.1fx; heap: peak %d MB used (sampled every 20 ms, garbage included)"
                + " of %d MB max, %d MB live after; GC %d ms%n", seconds / javaGunzip, peakHeap >> 20,
                Runtime.getRuntime().maxMemory() >> 20, liveAfter >> 20, gcMillis);
        System.out.printf(Locale.ROOT, "accepted %,d, rejected %,d (generated invalid: %,d)%s%n", accepted, rejected,
                expectedInvalid, accepted + rejected == records && rejected == expectedInvalid ? "" : "  MISMATCH");
        deleteTree(work);
        System.exit(accepted + rejected == records && rejected == expectedInvalid ? 0 : 1);
    }

    record BenchFile(Path path, String stream, String tenant, long records, long invalid, long rawBytes) {
    }

    /**
     * The sender's dry run on the same files: {@code java -jar target/inlet.jar validate} as a sender runs it (a JVM
     * of its own, its start included), against {@code gzip -dc > /dev/null} of the same files timed in this run.
     */
    static int validate(List<BenchFile> generated, long records, long rawBytes, double gzipTool, Path work) throws Exception {
        long accepted = 0;
        long rejected = 0;
        long start = System.nanoTime();
        for (BenchFile file : generated) {
            Process validate = new ProcessBuilder("java", "-jar", "target/inlet.jar", "validate", "--json", "--max-errors", "0",
                    "--stream", file.stream(), file.path().toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            JsonNode report = JSON.readTree(validate.getInputStream());
            validate.waitFor();
            accepted += report.get("records_accepted").asLong();
            rejected += report.get("records_rejected").asLong();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long expectedInvalid = generated.stream().mapToLong(BenchFile::invalid).sum();
        printTimes(records, rawBytes, "inlet.jar validate", seconds, "baseline: gzip -dc > /dev/null", gzipTool);
        System.out.printf(Locale.ROOT, "validate / gunzip time: %.1fx (%d JVM starts included)%n", seconds / gzipTool,
                generated.size());
        boolean right = accepted + rejected == records && rejected == expectedInvalid;
        System.out.printf(Locale.ROOT, "accepted %,d, rejected %,d (generated invalid: %,d)%s%n", accepted, rejected,
                expectedInvalid, right ? "" : "  MISMATCH");
        deleteTree(work);
        return right ? 0 : 1;
    }

    /** ~300-byte records of one stream for one tenant; every 100th line invalid in one of several ways. */
    static BenchFile generate(Path dir, int index, long count) throws IOException {
        String stream = STREAMS[index % STREAMS.length];
        String tenant = TENANTS[index % TENANTS.length];
        Path path = dir.resolve("bench-" + index + "-" + stream + ".jsonl.gz");
        Random random = new Random(index);
        long invalid = 0;
        long bytes = 0;
        Instant base = Instant.parse("2025-03-01T00:00:00Z");
        String[] events = {"page_view", "signed_up", "trial_started", "invited_teammate", "opened_email", "webinar_attended"};
        String[] pages = {"/pricing", "/docs/getting-started", "/blog/ingestion-at-scale", "/integrations/salesforce", "/"};
        try (BufferedWriter out = new BufferedWriter(new OutputStreamWriter(
                new GZIPOutputStream(Files.newOutputStream(path), 1 << 16), StandardCharsets.UTF_8), 1 << 16)) {
            for (long i = 0; i < count; i++) {
                boolean bad = i % 100 == 99;
                String id = UUID.nameUUIDFromBytes((index + ":" + i).getBytes(StandardCharsets.UTF_8)).toString();
                String when = base.plusSeconds(random.nextInt(90 * 86_400)).toString();
                String line = switch (stream) {
                    case "contact_event" -> "{\"event_type\":\"contact_event\",\"event_id\":\"" + id + "\",\"contact_id\":\"ct-"
                            + random.nextInt(200_000) + "\",\"event\":\"" + events[random.nextInt(events.length)]
                            + "\",\"event_timestamp\":\"" + (bad ? "yesterday" : when) + "\",\"event_properties\":{\"page\":\""
                            + pages[random.nextInt(pages.length)] + "\",\"referrer\":\"https://www.google.com/\",\"utm_source\":\"newsletter\","
                            + "\"duration_ms\":" + random.nextInt(120_000) + ",\"browser\":\"Firefox 133\"}}";
                    case "account_event" -> "{\"event_type\":\"account_event\",\"event_id\":\"" + id + "\",\"account_id\":\"acc-"
                            + random.nextInt(50_000) + "\",\"event\":\"new_funding_round\",\"event_timestamp\":\"" + when
                            + "\",\"event_properties\":{\"round\":\"Series B\",\"amount_usd\":" + random.nextInt(90_000_000)
                            + ",\"lead_investor\":\"Example Ventures\",\"source\":\"press-release\"}}";
                    case "contact" -> "{\"type\":\"contact\",\"contact_id\":\"ct-" + i + "\",\"email\":\""
                            + (bad ? "not-an-email" : "person" + i + "@example-" + random.nextInt(5000) + ".com")
                            + "\",\"contact_properties\":{\"first_name\":\"Alex\",\"last_name\":\"Doe\",\"title\":\"VP Engineering\","
                            + "\"country\":\"FR\",\"lifecycle_stage\":\"opportunity\",\"lead_score\":" + random.nextInt(100) + "}}";
                    default -> "{\"type\":\"account\",\"account_id\":\"acc-" + i + "\",\"domain\":\"example-" + i + ".com\","
                            + "\"account_properties\":{\"name\":\"Example " + i + " Inc\",\"industry\":\"Software\",\"employees\":"
                            + random.nextInt(20_000) + ",\"country\":\"US\",\"plan\":\"enterprise\",\"arr_usd\":"
                            + random.nextInt(5_000_000) + "}" + (bad ? ",\"extra\":true" : "") + "}";
                };
                if (bad && stream.equals("account_event")) {
                    line = line.replace("\"account_id\":\"acc-", "\"account\":\"acc-");
                }
                out.write(line);
                out.write('\n');
                bytes += line.length() + 1;
                if (bad) {
                    invalid++;
                }
            }
        }
        return new BenchFile(path, stream, tenant, count, invalid, bytes);
    }

    /** A table of what was timed: pairs of a label and its seconds. */
    static void printTimes(long records, long rawBytes, Object... labelsAndSeconds) {
        System.out.println();
        System.out.printf(Locale.ROOT, "%-34s %10s %12s %10s%n", "", "seconds", "records/s", "MB/s (raw)");
        for (int i = 0; i < labelsAndSeconds.length; i += 2) {
            double seconds = (Double) labelsAndSeconds[i + 1];
            System.out.printf(Locale.ROOT, "%-34s %10.2f %,12.0f %10.1f%n", labelsAndSeconds[i], seconds,
                    records / seconds, rawBytes / 1e6 / seconds);
        }
    }

    static long javaGunzipLines(Path path) throws IOException {
        long lines = 0;
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = new GZIPInputStream(Files.newInputStream(path), 1 << 16)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n') {
                        lines++;
                    }
                }
            }
        }
        return lines;
    }

    static String post(HttpClient http, String url, String key, String body) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).header("x-api-key", key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(url + ": " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    static JsonNode awaitFinal(HttpClient http, String baseUrl, String key, String fileKey) throws Exception {
        while (true) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(baseUrl
                    + "/ingestion/uploads/status?file_key=" + fileKey)).header("x-api-key", key).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode status = JSON.readTree(response.body());
            String state = status.path("state").asText();
            if (state.equals("failed")) {
                throw new IllegalStateException("failed: " + status);
            }
            if (state.startsWith("completed")) {
                return status;
            }
            Thread.sleep(50);
        }
    }

    /** Heap in use, sampled: the highest value the run reached. */
    static final class HeapSampler extends Thread {
        volatile long peak;

        HeapSampler() {
            setDaemon(true);
        }

        @Override
        public void run() {
            while (!isInterrupted()) {
                peak = Math.max(peak, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    interface Work {
        void run() throws Exception;
    }

    static double time(Work work) throws Exception {
        long start = System.nanoTime();
        work.run();
        return (System.nanoTime() - start) / 1e9;
    }

    static long gcMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(GarbageCollectorMXBean::getCollectionTime).sum();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}

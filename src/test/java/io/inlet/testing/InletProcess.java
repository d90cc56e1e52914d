package io.inlet.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import io.inlet.Settings;
import io.inlet.storage.S3Clients;
import org.apache.camel.impl.DefaultCamelContext;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code java -jar target/inlet.jar …} as a separate process, the way an operator runs it: for the CLI and
 * for the tests that kill the service with SIGKILL and start it again.
 */
public final class InletProcess implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final int port;

    private InletProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /**
     * A process's log, under target/ (kept after the run, for a failed test's story; gone with {@code mvn clean}) rather
     * than in the system's temporary folder, where nothing would ever remove it.
     */
    private static Path newLog(String prefix) throws IOException {
        return Files.createTempFile(Files.createDirectories(Path.of("target", "process-logs")), prefix, ".log");
    }

    public static Path jar() {
        String jar = System.getProperty("inlet.jar", "target/inlet.jar");
        Path path = Path.of(jar);
        if (!Files.exists(path)) {
            throw new IllegalStateException(path + " is missing: run `mvn package` (these tests run in `mvn verify`)");
        }
        return path;
    }

    public record Result(int exitCode, String stdout, String stderr) {
        public String lastStdoutLine() {
            String[] lines = stdout.strip().split("\n");
            return lines[lines.length - 1].strip();
        }
    }

    /** Runs a CLI command to completion. */
    public static Result run(Map<String, String> systemProperties, Map<String, String> environment, String... args)
            throws IOException, InterruptedException {
        List<String> command = javaCommand(systemProperties, null);
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Path out = Files.createTempFile("inlet-cli", ".out");
        Path err = Files.createTempFile("inlet-cli", ".err");
        try {
            Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("CLI did not finish: " + command);
            }
            return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** The settings of a service of its own: this data directory (drop folder inside it) and free ports. */
    public static Map<String, String> settingsFor(Path dataDir) {
        return settings(dataDir, dataDir.resolve("drop"));
    }

    /** Settings for a service of its own: this data directory and drop folder, free ports, quick polling. */
    public static Map<String, String> settings(Path dataDir, Path dropFolder) {
        Map<String, String> settings = new HashMap<>();
        settings.put("inlet.data-dir", dataDir.toString());
        settings.put("inlet.dropfolder.dir", dropFolder.toString());
        settings.put("camel.server.port", String.valueOf(InletApp.freePort()));
        settings.put("inlet.s3.embedded.port", String.valueOf(InletApp.freePort()));
        // not 0: a port the system picks for the queue may be the one just probed for the API (see InletApp)
        settings.put("inlet.queue.embedded.port", String.valueOf(InletApp.freePort()));
        settings.put("inlet.dropfolder.poll-delay-ms", "200");
        // objects written straight into the inbox are found by the reconciliation: look often
        settings.put("inlet.queue.reconcile-interval", "PT2S");
        settings.put("inlet.queue.reconcile-min-age", "PT0S");
        settings.put("inlet.pipeline.sweep-interval", "PT1S");
        // short polls: a stop waits for the poll under way, and Camel looks again only a second later (the tests
        // stop the service about a hundred times)
        settings.put("inlet.queue.receive-wait-seconds", "0");
        return settings;
    }

    /** {@code keys create --tenant <tenant>} against that data directory (or keys file); returns the key. */
    public static String createKey(Map<String, String> settings, String tenant) throws IOException, InterruptedException {
        Map<String, String> cli = new HashMap<>(Map.of("inlet.data-dir", settings.get("inlet.data-dir")));
        if (settings.containsKey("inlet.keys.file")) {
            cli.put("inlet.keys.file", settings.get("inlet.keys.file"));
        }
        Result created = run(cli, Map.of(), "keys", "create", "--tenant", tenant);
        if (created.exitCode() != 0) {
            throw new IllegalStateException("keys create failed: " + created.stderr());
        }
        return created.lastStdoutLine();
    }

    /** The keys file a test class keeps in a directory of its own, for services given it as {@code inlet.keys.file}. */
    public static Path keysFile(Path dir) {
        return dir.resolve("api-keys.json");
    }

    /** {@code keys create --tenant <tenant>} into {@link #keysFile(Path)} of that directory; returns the key. */
    public static String createKeyIn(Path dir, String tenant) throws IOException, InterruptedException {
        return createKey(Map.of("inlet.data-dir", dir.toString(), "inlet.keys.file", keysFile(dir).toString()), tenant);
    }

    public static String baseUrl(Map<String, String> settings) {
        return "http://localhost:" + settings.get("camel.server.port");
    }

    /** Starts the service and waits until GET /observe/health says UP. */
    public static InletProcess start(Map<String, String> systemProperties, String maxHeap) throws IOException {
        return start(systemProperties, Map.of(), maxHeap);
    }

    /** The same, with variables added to its environment (settings as an operator would export them). */
    public static InletProcess start(Map<String, String> systemProperties, Map<String, String> environment, String maxHeap)
            throws IOException {
        List<String> command = javaCommand(systemProperties, maxHeap);
        Path log = newLog("inlet-service");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        InletProcess inlet = new InletProcess(process, log, Integer.parseInt(systemProperties.get("camel.server.port")));
        inlet.awaitHealthy(Duration.ofSeconds(60));
        return inlet;
    }

    /**
     * {@code java -jar inlet.jar storage}: the embedded S3 and queue alone, for instances to share; returns once
     * it says it is ready.
     */
    public static InletProcess startStorage(Map<String, String> systemProperties) throws IOException {
        List<String> command = javaCommand(systemProperties, "512m");
        command.add("storage");
        Path log = newLog("inlet-storage");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        InletProcess storage = new InletProcess(process, log, 0);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!storage.log().contains("Storage ready")) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("storage did not start:\n" + storage.log());
            }
            sleep(100);
        }
        return storage;
    }

    public long pid() {
        return process.pid();
    }

    /** SIGSTOP / SIGCONT: the process freezes (as in a long pause or a partition) and later goes on. */
    public void signal(String signal) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).inheritIO().start().waitFor();
    }

    /**
     * The class-data archive the build makes beside the jar (see pom.xml), if it was made from this jar: it halves
     * each start, and these tests start the service dozens of times.
     */
    private static Optional<Path> classArchive() {
        Path archive = jar().resolveSibling("inlet.jsa");
        try {
            return Files.isRegularFile(archive)
                    && Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(jar())) > 0
                    ? Optional.of(archive) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static List<String> javaCommand(Map<String, String> systemProperties, String maxHeap) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (maxHeap != null) {
            command.add("-Xmx" + maxHeap);
        }
        command.add("-XX:+ExitOnOutOfMemoryError");
        // C1 only. On two cores the C2 compiler took half of the ~12 CPU-seconds a start costs, and these tests run
        // up to four of these JVMs at once: measured, the three-instance test went from 126 s to 74 s and the crash
        // tests from 144 s to 110 s. What the tests check (exactly-once under kills) does not depend on the JIT tier;
        // throughput is measured by bench/, with the JVM's defaults.
        command.add("-XX:TieredStopAtLevel=1");
        classArchive().ifPresent(archive -> command.add("-XX:SharedArchiveFile=" + archive));
        systemProperties.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add("-jar");
        command.add(jar().toString());
        return command;
    }

    private void awaitHealthy(Duration timeout) {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Inlet exited with " + process.exitValue() + ":\n" + log());
            }
            try {
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + port + "/observe/health")).build(), HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(50);
        }
        throw new IllegalStateException("Inlet did not become healthy in " + timeout + ":\n" + log());
    }

    /** SIGKILL: no shutdown hook, no graceful stop, exactly like {@code kill -9}. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Waits for the process to end on its own (a configured crash point halts it). */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("Inlet did not exit in " + timeout + ":\n" + log());
        }
        return process.exitValue();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** An S3 client for the embedded S3 of a process started with these settings, built the way the service builds it. */
    public static S3Client s3Client(Map<String, String> systemProperties) {
        return S3Clients.client(settings(systemProperties));
    }

    /** The settings a process started with these overrides reads (application.properties under them). */
    public static Settings settings(Map<String, String> systemProperties) {
        DefaultCamelContext context = new DefaultCamelContext(false);
        try {
            context.getPropertiesComponent().setLocation("classpath:application.properties");
            Properties overrides = new Properties();
            overrides.putAll(systemProperties);
            context.getPropertiesComponent().setOverrideProperties(overrides);
            context.build();
            return Settings.from(context.getPropertiesComponent());
        } finally {
            context.stop();
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

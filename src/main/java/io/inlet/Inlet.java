package io.inlet;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.Callable;

import io.inlet.metrics.MeterRegistries;
import io.inlet.queue.EmbeddedQueue;
import io.inlet.sender.UploadCommand;
import io.inlet.sender.ValidateCommand;
import io.inlet.storage.S3Credentials;
import io.inlet.storage.embedded.EmbeddedS3;
import io.inlet.tenant.KeysCommand;
import java.util.concurrent.CountDownLatch;
import org.apache.camel.StartupSummaryLevel;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.main.Main;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point. With no arguments (or {@code run}) it starts the service; {@code keys …} manages API keys
 * ({@link KeysCommand}); {@code upload} and {@code validate} are the sender's side ({@link UploadCommand},
 * {@link ValidateCommand}).
 */
// --help and --version on every command (scope INHERIT: the subcommands and theirs get them too)
@Command(name = "inlet", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        versionProvider = Inlet.Version.class,
        description = "Inlet: ingestion of contacts, accounts and their events into a tenant-partitioned lake.",
        subcommands = {Inlet.Run.class, KeysCommand.class, Inlet.Storage.class, UploadCommand.class,
            ValidateCommand.class})
public final class Inlet implements Callable<Integer> {

    public static void main(String[] args) throws Exception {
        // As "run" when nothing is given: a bad setting is then said in a line, not a stack trace. Exits either way:
        // servers started before a failure (embedded S3, queue) would keep the JVM alive otherwise.
        System.exit(commandLine().execute(args.length == 0 ? new String[] {"run"} : args));
    }

    /** The commands as {@link #main} runs them. */
    public static CommandLine commandLine() {
        return new CommandLine(new Inlet())
                // A bad tenant id, URL or setting is the operator's to fix: its message, not a stack trace, and the
                // command's own code for bad input (upload's and validate's 2 says lines were rejected)
                .setExecutionExceptionHandler((e, commandLine, parsed) -> {
                    if (e instanceof IllegalArgumentException) {
                        commandLine.getErr().println(e.getMessage());
                        return commandLine.getCommandSpec().exitCodeOnInvalidInput();
                    }
                    throw e;
                });
    }

    @Override
    public Integer call() throws Exception {
        return new Run().call();
    }

    /** The version the jar was built as (its manifest's), and the Camel it runs on. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String built = Inlet.class.getPackage().getImplementationVersion();
            return new String[] {"Inlet " + (built == null ? "(not built as a jar)" : built) + ", Apache Camel "
                    + org.apache.camel.CamelContext.class.getPackage().getImplementationVersion() + ", Java "
                    + Runtime.version()};
        }
    }

    /** The service, as camel-main runs it. */
    public static Main newMain() {
        Main main = new Main();
        // Before Camel starts: its meters and the JVM's go into the registry Inlet's filters are set on.
        main.bind(MeterRegistries.bindingName(), MeterRegistries.create());
        main.configure().addConfiguration(InletConfiguration.class);
        main.setDefaultPropertyPlaceholderLocation("classpath:application.properties");
        return main;
    }

    @Command(name = "run", description = "Start the service (the default).")
    static final class Run implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            Main main = newMain();
            main.run();
            return main.getExitCode();
        }
    }

    /**
     * The embedded S3 and the embedded queue alone, for several instances on one machine (or a test): the
     * instances run with {@code inlet.s3.embedded.enabled=false}, {@code inlet.queue.embedded.enabled=false} and
     * point {@code inlet.s3.endpoint} / {@code inlet.queue.endpoint} here.
     */
    @Command(name = "storage", description = "Serve only the embedded S3 (inlet.s3.embedded.port) and the embedded "
            + "queue (inlet.queue.embedded.port, 9324 when 0), for several instances to share on one machine.")
    static final class Storage implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Settings settings = standaloneSettings();
            DataDirectory.prepare(settings);
            // the store's recovery at start clears half-written objects: those of a service still writing them here
            FileChannel lock;
            try {
                lock = DataDirectory.lock(settings);
            } catch (IllegalStateException inUse) {
                spec.commandLine().getErr().println(inUse.getMessage());
                return 1;
            }
            EmbeddedS3 s3 = new EmbeddedS3(settings);
            s3.start();
            Settings.Queue queue = settings.queue();
            EmbeddedQueue sqs = new EmbeddedQueue(queue.embeddedHost(), queue.embeddedPort() == 0 ? 9324 : queue.embeddedPort());
            sqs.start();
            System.out.println("Storage ready: S3 on port " + settings.embeddedS3Port() + " (credentials in "
                    + settings.dataDir().resolve(S3Credentials.EMBEDDED_FILE) + "), queue at " + sqs.endpoint());
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                sqs.stop();
                s3.stop();
                try {
                    lock.close();
                } catch (IOException ignored) {
                    // the process ends: the operating system lets go of the lock either way
                }
                stopped.countDown();
            }));
            stopped.await();
            return 0;
        }
    }

    /** Settings resolved exactly as the service resolves them (file, then -D and environment overrides). */
    public static Settings standaloneSettings() {
        DefaultCamelContext context = new DefaultCamelContext(false);
        // Commands print their answer on stdout (`keys list` a table): no context start/stop lines among it.
        context.setStartupSummaryLevel(StartupSummaryLevel.Off);
        try {
            context.getPropertiesComponent().setLocation("classpath:application.properties");
            context.build();
            return Settings.from(context.getPropertiesComponent());
        } finally {
            context.stop();
        }
    }
}

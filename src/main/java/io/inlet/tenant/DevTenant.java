package io.inlet.tenant;

import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A first start with no keys at all. Started from a terminal (someone trying Inlet out), it creates tenant {@code dev}
 * so that the README quickstart needs no extra step, and shows its key there: written to the terminal, never through
 * the log, because logs are collected and kept and a key must never reach them. Without a terminal (a service
 * manager, output piped to a file), or with {@code inlet.keys.dev-tenant} off (the Docker image: a container's
 * terminal is its log), nothing is created, and the log says how to create a key.
 */
public final class DevTenant {

    private static final Logger LOG = LoggerFactory.getLogger(DevTenant.class);

    private DevTenant() {
    }

    /**
     * The terminal the service was started from: none when its input or output is not one. Java 17 has no console
     * then; from Java 22 on there is one regardless, and {@code isTerminal()} (not in Java 17, so looked up) tells.
     */
    public static Optional<PrintWriter> terminal() {
        Console console = System.console();
        if (console == null) {
            return Optional.empty();
        }
        try {
            if (!(Boolean) Console.class.getMethod("isTerminal").invoke(console)) {
                return Optional.empty();
            }
        } catch (NoSuchMethodException java17) {
            // a console at all means a terminal
        } catch (ReflectiveOperationException e) {
            return Optional.empty();
        }
        return Optional.of(console.writer());
    }

    public static void createIfNoKeys(ApiKeys keys, Optional<PrintWriter> terminal) throws IOException {
        if (!keys.isEmpty()) {
            return;
        }
        if (terminal.isEmpty()) {
            LOG.warn("No API keys exist, so every request is refused (401) until one is created: "
                    + "`java -jar target/inlet.jar keys create --tenant <id>` (with the service's inlet.data-dir) prints a new key (a running service accepts it at once)");
            return;
        }
        ApiKeys.Minted minted = keys.create("dev");
        LOG.warn("No API keys existed, so tenant 'dev' was created; its key is shown on the terminal, not in the log "
                + "(only its hash is stored)");
        PrintWriter out = terminal.get();
        out.printf("%nTenant 'dev' was created. Its API key, shown only this once:%n    %s%n"
                + "Mint others with `java -jar target/inlet.jar keys create --tenant <id>`.%n%n", minted.key());
        out.flush();
    }
}

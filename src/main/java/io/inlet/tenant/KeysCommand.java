package io.inlet.tenant;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import io.inlet.Inlet;
import io.inlet.Settings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code keys create | rotate | revoke | list}: the operator's side of API keys. Every command works on the key
 * file alone (hashes, never keys); a running service sees each change within a second.
 */
@Command(name = "keys", description = "Manage API keys (stored as hashes in api-keys.json in the data directory,"
        + " inlet.data-dir).",
        subcommands = {KeysCommand.Create.class, KeysCommand.Rotate.class, KeysCommand.Revoke.class,
            KeysCommand.ListKeys.class})
public final class KeysCommand {

    /** Exit code of a command refused for what it named (an unknown key id or tenant). */
    static final int NOT_FOUND = 1;

    @Command(name = "create", description = "Mint an API key for a tenant; the key is the last line printed.")
    static final class Create extends KeyFileCommand {
        @Option(names = "--tenant", required = true, description = "Tenant id (letters, digits, '_' or '-').")
        String tenant;

        @Override
        int run(Settings settings, ApiKeys keys, PrintWriter out) throws IOException {
            ApiKeys.Minted minted = keys.create(tenant);
            out.println("Created API key " + minted.keyId() + " for tenant " + minted.tenant()
                    + " (only its hash is stored, in " + settings.keysFile() + ").");
            printKey(out, minted);
            return 0;
        }
    }

    @Command(name = "rotate", description = {
        "Mint a new API key for a tenant (the last line printed) and keep its earlier keys accepted for a grace "
            + "period (inlet.keys.rotation-grace), after which they are refused."})
    static final class Rotate extends KeyFileCommand {
        @Option(names = "--tenant", required = true, description = "Tenant id (it must have a key already).")
        String tenant;

        @Option(names = "--grace", paramLabel = "<ISO-8601 duration>",
                description = "How long the earlier keys stay accepted (PT24H, PT10M; PT0S: refused at once). "
                        + "Default: inlet.keys.rotation-grace.")
        Duration grace;

        @Override
        int run(Settings settings, ApiKeys keys, PrintWriter out) throws IOException {
            if (grace != null && grace.isNegative()) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--grace must be zero or more, not " + grace);
            }
            Duration gracePeriod = grace != null ? grace : settings.keys().rotationGrace();
            Optional<ApiKeys.Rotation> rotated = keys.rotate(tenant, gracePeriod);
            if (rotated.isEmpty()) {
                return refused("Tenant " + tenant + " has no API key to rotate (`keys list` shows the tenants); "
                        + "`keys create --tenant " + tenant + "` mints its first one.");
            }
            ApiKeys.Rotation rotation = rotated.get();
            out.println("Created API key " + rotation.minted().keyId() + " for tenant " + tenant
                    + " (only its hash is stored, in " + settings.keysFile() + ").");
            if (rotation.expiring().isEmpty()) {
                out.println("The tenant had no other key still accepted.");
            } else {
                // each key until its own expiry: an earlier rotation's shorter grace stays
                Map<String, List<String>> byExpiry = new TreeMap<>();
                for (ApiKeys.StoredKey key : rotation.expiring()) {
                    byExpiry.computeIfAbsent(seconds(Instant.parse(key.expiresAt())), at -> new ArrayList<>()).add(key.keyId());
                }
                out.println("Its earlier keys " + byExpiry.entrySet().stream()
                        .map(until -> String.join(", ", until.getValue()) + " stay accepted until " + until.getKey())
                        .collect(Collectors.joining("; ")) + " (grace " + gracePeriod + ", or less where an earlier"
                        + " rotation gave less), then are refused.");
            }
            printKey(out, rotation.minted());
            return 0;
        }
    }

    @Command(name = "revoke", description = "Refuse an API key from now on (a running service within a second).")
    static final class Revoke extends KeyFileCommand {
        @Parameters(paramLabel = "<key_id>", description = "The key id, as `keys list` shows it.")
        String keyId;

        @Override
        int run(Settings settings, ApiKeys keys, PrintWriter out) throws IOException {
            Optional<ApiKeys.Revocation> revoked = keys.revoke(keyId);
            if (revoked.isEmpty()) {
                return refused("No API key has the id '" + keyId + "' (`keys list` shows them).");
            }
            ApiKeys.StoredKey key = revoked.get().key();
            if (revoked.get().alreadyRevoked()) {
                out.println("API key " + key.keyId() + " of tenant " + key.tenant() + " was already revoked at "
                        + seconds(Instant.parse(key.revokedAt())) + ".");
            } else {
                out.println("Revoked API key " + key.keyId() + " of tenant " + key.tenant()
                        + "; a running service refuses it within a second.");
            }
            return 0;
        }
    }

    @Command(name = "list", description = {
        "List API keys: id, tenant, created, last used (to the second, as the instances last wrote it: up to "
            + "inlet.keys.last-used-interval behind) and state (active, expires <time>, expired <time>, "
            + "revoked <time>). Never the keys or their hashes."})
    static final class ListKeys extends KeyFileCommand {
        @Override
        int run(Settings settings, ApiKeys keys, PrintWriter out) throws IOException {
            Map<String, Instant> lastUsed = KeyLastUse.latest(settings.keysFile());
            Instant now = Instant.now();
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"KEY_ID", "TENANT", "CREATED", "LAST_USED", "STATE"});
            for (ApiKeys.StoredKey key : keys.list()) {
                Instant used = lastUsed.get(key.keyId());
                rows.add(new String[] {key.keyId(), key.tenant(), seconds(Instant.parse(key.createdAt())),
                    used == null ? "never" : seconds(used), state(key, now)});
            }
            printTable(out, rows);
            return 0;
        }

        private static String state(ApiKeys.StoredKey key, Instant now) {
            if (key.revokedAt() != null) {
                return "revoked " + seconds(Instant.parse(key.revokedAt()));
            }
            if (key.expiresAt() != null) {
                Instant expiresAt = Instant.parse(key.expiresAt());
                return (now.isBefore(expiresAt) ? "expires " : "expired ") + seconds(expiresAt);
            }
            return "active";
        }

        private static void printTable(PrintWriter out, List<String[]> rows) {
            int[] widths = new int[rows.get(0).length];
            for (String[] row : rows) {
                for (int i = 0; i < row.length; i++) {
                    widths[i] = Math.max(widths[i], row[i].length());
                }
            }
            for (String[] row : rows) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < row.length; i++) {
                    line.append(i == row.length - 1 ? row[i] : String.format("%-" + (widths[i] + 2) + "s", row[i]));
                }
                out.println(line);
            }
        }
    }

    /** A command on the key file named by the settings (-D, environment, properties file), as the service reads them. */
    abstract static class KeyFileCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public final Integer call() throws IOException {
            Settings settings = Inlet.standaloneSettings();
            PrintWriter out = spec.commandLine().getOut();
            try {
                return run(settings, new ApiKeys(settings.keysFile()), out);
            } finally {
                out.flush();
            }
        }

        abstract int run(Settings settings, ApiKeys keys, PrintWriter out) throws IOException;

        /** The command named a key or tenant that is not there: say so on stderr, exit non-zero. */
        int refused(String message) {
            spec.commandLine().getErr().println(message);
            return NOT_FOUND;
        }
    }

    private static void printKey(PrintWriter out, ApiKeys.Minted minted) {
        out.println("The key is shown only now; a running service accepts it at once:");
        out.println(minted.key());
    }

    private static String seconds(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}

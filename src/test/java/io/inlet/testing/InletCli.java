package io.inlet.testing;

import java.io.PrintWriter;
import java.io.StringWriter;

import io.inlet.Inlet;

/** A command of {@code java -jar target/inlet.jar}, run in this JVM as picocli runs it, its output captured. */
public final class InletCli {

    private InletCli() {
    }

    public record Run(int exitCode, String out, String err) {
        /** Both streams, for assertions about what the command shows in all. */
        public String all() {
            return out + err;
        }
    }

    public static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = Inlet.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }
}

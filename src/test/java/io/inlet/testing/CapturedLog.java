package io.inlet.testing;

import java.io.StringWriter;
import java.util.function.Predicate;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.layout.PatternLayout;

/** What this JVM's loggers write while a step runs, from DEBUG up: logger, message and exception, a line each. */
public final class CapturedLog {

    public interface Step {
        void run() throws Exception;
    }

    private CapturedLog() {
    }

    public static String during(Step step) throws Exception {
        return during(step, log -> true);
    }

    /**
     * As {@link #during(Step)}, then on until what was written says {@code done} or 10 s have passed: for lines written
     * once an answer is out, which its client may read first.
     */
    public static String during(Step step, Predicate<String> done) throws Exception {
        StringWriter log = new StringWriter();
        Configuration config = ((LoggerContext) LogManager.getContext(false)).getConfiguration();
        WriterAppender capture = WriterAppender.newBuilder().setName("captured-log").setTarget(log)
                .setLayout(PatternLayout.newBuilder().withPattern("%c %m %throwable%n").build()).build();
        capture.start();
        config.getRootLogger().addAppender(capture, Level.ALL, null);
        Level before = config.getRootLogger().getLevel();
        Configurator.setRootLevel(Level.DEBUG);
        try {
            step.run();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!done.test(log.toString()) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        } finally {
            Configurator.setRootLevel(before);
            config.getRootLogger().removeAppender("captured-log");
            capture.stop();
        }
        return log.toString();
    }
}

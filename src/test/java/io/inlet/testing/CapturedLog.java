package io.inlet.testing;

import java.io.StringWriter;

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
        } finally {
            Configurator.setRootLevel(before);
            config.getRootLogger().removeAppender("captured-log");
            capture.stop();
        }
        return log.toString();
    }
}

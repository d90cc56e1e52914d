package io.inlet.pipeline;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * For crash tests only ({@code inlet.testing.crash-at}, empty in every real setup): halts the JVM at a named
 * point of the commit protocol, exactly as {@code kill -9} would (no shutdown hooks, nothing flushed), so
 * that tests can prove a restart finishes the work without losing or doubling records.
 */
public final class CrashPoints {

    public static final String AFTER_MANIFEST = "after-manifest";
    public static final String AFTER_FIRST_PART = "after-first-part";
    public static final String AFTER_OUTPUT = "after-output";
    public static final String AFTER_ARCHIVE = "after-archive";
    public static final String DROPFOLDER_AFTER_STATUS = "dropfolder-after-status";
    public static final String DROPFOLDER_AFTER_INBOX_WRITE = "dropfolder-after-inbox-write";
    public static final String CONFIRM_AFTER_STATUS = "confirm-after-status";
    public static final String CONFIRM_AFTER_COPY = "confirm-after-copy";

    private static final Logger LOG = LoggerFactory.getLogger(CrashPoints.class);

    private final String crashAt;

    public CrashPoints(String crashAt) {
        this.crashAt = crashAt == null ? "" : crashAt.trim();
    }

    public void reached(String point) {
        if (!crashAt.isEmpty() && crashAt.equals(point)) {
            LOG.error("inlet.testing.crash-at={}: halting the JVM now, as kill -9 would", point);
            Runtime.getRuntime().halt(137);
        }
    }
}

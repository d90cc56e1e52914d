package io.inlet.sender;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Pattern;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarRenderer;
import me.tongfei.progressbar.ProgressState;

/**
 * Progress of a transfer as a bar redrawn in place on a terminal, or, when the output goes to a file or a pipe (a
 * CI log, say), as a plain line every {@link #PLAIN_INTERVAL}: never carriage returns in a log. Both show bytes
 * done of the total, the rate and the time left (me.tongfei:progressbar refreshes them; {@link Line} words them).
 */
final class ProgressBars {

    static final Duration PLAIN_INTERVAL = Duration.ofSeconds(5);
    private static final int PLAIN_WIDTH = 100;
    /** The rate and the time left in a plain line (as {@link Line} words them). */
    private static final Pattern RATE = Pattern.compile("  \\S+ [kMGT]?B/s(  ETA \\S+)?");

    private final PrintStream terminal;
    private final PrintWriter plain;

    private ProgressBars(PrintStream terminal, PrintWriter plain) {
        this.terminal = terminal;
        this.plain = plain;
    }

    /** Bars on {@code terminal} when it is one (the JVM has a console), else plain lines on {@code plain}. */
    static ProgressBars on(PrintStream terminal, PrintWriter plain) {
        return new ProgressBars(System.console() != null ? terminal : null, plain);
    }

    /** A bar for {@code total} bytes; close it when the transfer ends (its last state is then shown). */
    ProgressBar start(String task, long total) {
        ProgressBarBuilder builder = new ProgressBarBuilder().setTaskName(task).setInitialMax(total);
        if (terminal != null) {
            plain.flush();
            builder.setRenderer(new Line(true)).setConsumer(new ClosedOnce(new ConsoleProgressBarConsumer(terminal)))
                    .setUpdateIntervalMillis(200).continuousUpdate();
        } else {
            String[] last = {null};
            builder.setRenderer(new Line(false))
                    .setConsumer(new ClosedOnce(new DelegatingProgressBarConsumer(line -> {
                        // Closing refreshes once more: the same progress again when the transfer had just ended,
                        // with only the rate moved on. A log line says something new or nothing.
                        String progress = RATE.matcher(line).replaceAll("");
                        if (!progress.equals(last[0])) {
                            plain.println(line);
                            plain.flush();
                            last[0] = progress;
                        }
                    }, PLAIN_WIDTH)))
                    .setUpdateIntervalMillis((int) PLAIN_INTERVAL.toMillis());
        }
        return builder.build();
    }

    /**
     * Shows nothing after the bar's last line: a refresh already under way when the bar is closed closes it a
     * second time (progressbar 0.10.2), which would repeat that line.
     */
    private static final class ClosedOnce implements ProgressBarConsumer {
        private final ProgressBarConsumer consumer;
        private boolean closed;

        ClosedOnce(ProgressBarConsumer consumer) {
            this.consumer = consumer;
        }

        @Override
        public int getMaxRenderedLength() {
            return consumer.getMaxRenderedLength();
        }

        @Override
        public synchronized void accept(String rendered) {
            if (!closed) {
                consumer.accept(rendered);
            }
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                consumer.close();
            }
        }
    }

    /** {@code upload      45% [=====>      ] 12.3 MB / 27.1 MB  5.2 MB/s  ETA 0:00:03}; no bar on plain lines. */
    static final class Line implements ProgressBarRenderer {
        private final boolean bar;

        Line(boolean bar) {
            this.bar = bar;
        }

        @Override
        public String render(ProgressState progress, int maxLength) {
            long current = progress.getCurrent();
            long max = Math.max(progress.getMax(), 0);
            double fraction = max == 0 ? 1 : Math.min(1, (double) current / max);
            String head = String.format(Locale.ROOT, "%-10s %3d%%", progress.getTaskName(), (int) (fraction * 100));
            String rate = "";
            String eta = "";
            double seconds = progress.getElapsedAfterStart().toMillis() / 1000.0;
            long moved = current - progress.getStart();
            if (seconds >= 0.5 && moved > 0) {
                double perSecond = moved / seconds;
                rate = bytes((long) perSecond) + "/s";
                if (current < max) {
                    eta = "ETA " + clock(Duration.ofSeconds((long) Math.ceil((max - current) / perSecond)));
                }
            }
            // fixed widths on a terminal, so that the bar keeps its length while the figures change
            String tail = bar
                    ? String.format(Locale.ROOT, " %8s / %-8s %11s %-11s%s", bytes(current), bytes(max), rate, eta,
                            progress.getExtraMessage())
                    : (" " + bytes(current) + " / " + bytes(max) + (rate.isEmpty() ? "" : "  " + rate)
                            + (eta.isEmpty() ? "" : "  " + eta) + progress.getExtraMessage());
            int width = maxLength - head.length() - tail.length() - 3;
            if (!bar) {
                return head + tail;
            }
            if (width < 5) {
                // redrawn in place: as long as the last line, or its end would stay on screen
                String line = head + tail;
                return line.length() >= maxLength ? line.substring(0, maxLength) : line + " ".repeat(maxLength - line.length());
            }
            int filled = (int) (fraction * width);
            return head + " [" + "=".repeat(filled) + (filled < width ? ">" + " ".repeat(width - filled - 1) : "")
                    + "]" + tail;
        }
    }

    /** Decimal units, as transfer rates are given: 456 B, 12.3 kB, 45.6 MB, 1.97 GB. */
    static String bytes(long bytes) {
        if (bytes < 1000) {
            return bytes + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1000 && unit < units.length - 1) {
            value /= 1000;
            unit++;
        }
        return String.format(Locale.ROOT, value >= 100 ? "%.0f %s" : value >= 10 ? "%.1f %s" : "%.2f %s", value,
                units[unit]);
    }

    private static String clock(Duration d) {
        long s = d.getSeconds();
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60);
    }
}

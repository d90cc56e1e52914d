package io.inlet.sender;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import dev.failsafe.function.CheckedSupplier;

/**
 * When a request is tried again (Failsafe): a failure on the way (the connection dropped, a timeout) and the
 * answers that say "later" — 408, 429, 5xx, and S3's RequestTimeout (400) and OperationAborted (409), which AWS's
 * own SDKs retry — after an exponential backoff with jitter, or after the answer's Retry-After. Any other 4xx is
 * final: a bad key or an expired URL does not get better by asking again. Every retry is announced on
 * {@code notices}.
 */
final class Retries {

    private static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(1);

    private final int attempts;
    private final Duration firstDelay;
    private final PrintWriter notices;

    Retries(int attempts, Duration firstDelay, PrintWriter notices) {
        this.attempts = attempts;
        this.firstDelay = firstDelay;
        this.notices = notices;
    }

    /** Retries spread by this share either way, so that many senders refused at once do not come back at once. */
    private static final double JITTER = 0.2;

    /**
     * Runs {@code attempt} until it answers with anything but a "later", a failure that is not the local file's,
     * or the attempts are used up; then returns the last answer or throws the last failure.
     */
    <T> HttpResponse<T> send(String what, CheckedSupplier<HttpResponse<T>> attempt)
            throws IOException, InterruptedException {
        RetryPolicy<HttpResponse<T>> policy = RetryPolicy.<HttpResponse<T>>builder()
                .handleIf((answer, failure) -> failure != null ? transientFailure(failure) : later(answer))
                .withMaxAttempts(attempts)
                .withBackoff(firstDelay, firstDelay.multipliedBy(32))
                .withJitter(JITTER)
                // Failsafe spreads this delay by the jitter too: stretched first, so that no retry comes before the
                // answer's Retry-After (up to half as long again)
                .withDelayFn(context -> retryAfter(context.getLastResult())
                        .map(delay -> Duration.ofMillis(Math.round(delay.toMillis() / (1 - JITTER))))
                        .orElse(Duration.ofMillis(-1)))
                .onRetryScheduled(event -> {
                    notices.println(what + " failed (" + (event.getLastException() != null
                            ? describe(event.getLastException()) : "HTTP " + event.getLastResult().statusCode()
                                    + S3Error.code(event.getLastResult()).map(c -> " " + c).orElse(""))
                            + "); attempt " + (event.getAttemptCount() + 1) + " of " + attempts + " in "
                            + String.format(Locale.ROOT, "%.1f", event.getDelay().toMillis() / 1000.0) + " s");
                    notices.flush();
                })
                .build();
        try {
            return Failsafe.with(policy).get(attempt);
        } catch (FailsafeException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof InterruptedException interrupted) {
                throw interrupted;
            }
            throw e;
        }
    }

    /** What an I/O failure says, without a URL (a presigned one carries its signature). */
    static String describe(Throwable failure) {
        String name = failure.getClass().getSimpleName();
        String message = failure.getMessage();
        return message == null || message.contains("://") ? name : name + ": " + message;
    }

    private static boolean transientFailure(Throwable failure) {
        return failure instanceof IOException && !isLocal(failure);
    }

    /** The file being sent failed us (it changed, or could not be read): no network retry helps. */
    private static boolean isLocal(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof LocalFileException) {
                return true;
            }
        }
        return false;
    }

    private static boolean later(HttpResponse<?> answer) {
        int status = answer.statusCode();
        if (status == 408 || status == 429 || status >= 500) {
            return true;
        }
        Optional<String> code = S3Error.code(answer);
        return (status == 400 && code.filter("RequestTimeout"::equals).isPresent())
                || (status == 409 && code.filter("OperationAborted"::equals).isPresent());
    }

    private static Optional<Duration> retryAfter(HttpResponse<?> answer) {
        if (answer == null) {
            return Optional.empty();
        }
        return answer.headers().firstValue("Retry-After").flatMap(value -> {
            try {
                long seconds = Long.parseLong(value.trim());
                return Optional.of(Duration.ofSeconds(Math.max(0, seconds))).map(d -> d.compareTo(MAX_RETRY_AFTER) > 0
                        ? MAX_RETRY_AFTER : d);
            } catch (NumberFormatException httpDate) {
                return Optional.empty();
            }
        });
    }
}

package io.inlet.ops;

import java.util.HashMap;
import java.util.Map;

import io.inlet.storage.FileKey;
import org.apache.camel.Exchange;
import org.slf4j.MDC;

/**
 * What a log line is about: the request ({@code request_id}), the tenant ({@code tenant}) and the file
 * ({@code file_key}). These are MDC keys, the fields of JSON log lines, and the names of exchange properties:
 * camel-mdc ({@code camel.mdc.*} in application.properties) copies those properties into the MDC around every
 * step of the exchange, on whichever thread runs the step, and takes them off the thread after it. A line logged
 * by the step that learns a value comes before that, so such steps open an {@link #about} scope for it.
 */
public final class LogContext {

    public static final String REQUEST_ID = "request_id";
    public static final String TENANT = "tenant";
    public static final String FILE_KEY = "file_key";
    /**
     * Exchange property: the context of the HTTP request the exchange answers, which the request's own line in
     * the log is written with once the answer is sent (see {@code io.inlet.http.RequestLog}).
     */
    public static final String OF_REQUEST = "inletRequestLogContext";

    private LogContext() {
    }

    /** The tenant the exchange works for, from here on. */
    public static void tenant(Exchange exchange, String tenant) {
        put(exchange, TENANT, tenant);
    }

    /** The file the exchange works on (and its tenant), from here on. */
    public static void file(Exchange exchange, FileKey key) {
        put(exchange, TENANT, key.tenant());
        put(exchange, FILE_KEY, key.key());
    }

    private static void put(Exchange exchange, String name, String value) {
        exchange.setProperty(name, value);
        @SuppressWarnings("unchecked")
        Map<String, String> request = exchange.getProperty(OF_REQUEST, Map.class);
        if (request != null) {
            request.put(name, value);
        }
    }

    /** Lines logged on this thread until {@link Scope#close} are about this file (and its tenant). */
    public static Scope about(FileKey key) {
        return with(Map.of(TENANT, key.tenant(), FILE_KEY, key.key()));
    }

    /** Lines logged on this thread until {@link Scope#close} carry these MDC values. */
    public static Scope with(Map<String, String> values) {
        Map<String, String> previous = new HashMap<>();
        values.forEach((name, value) -> {
            previous.put(name, MDC.get(name));
            MDC.put(name, value);
        });
        return new Scope(previous);
    }

    /** Gives the MDC back as it was: threads are pooled, and the next task on this one is about something else. */
    public static final class Scope implements AutoCloseable {
        private final Map<String, String> previous;

        private Scope(Map<String, String> previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            previous.forEach((name, value) -> {
                if (value == null) {
                    MDC.remove(name);
                } else {
                    MDC.put(name, value);
                }
            });
        }
    }
}

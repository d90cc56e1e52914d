package io.inlet.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.inlet.Json;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.StringLayout;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.properties.PropertiesConfigurationFactory;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.SimpleMessage;
import org.apache.logging.log4j.util.SortedArrayStringMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The two layouts of config/log4j2.properties, as the service builds them, on one event: a failure with a cause,
 * a message of two lines, logged while a request of a tenant is handled.
 */
class LogLayoutsTest {

    private final LogEvent failure = Log4jLogEvent.newBuilder()
            .setLoggerName("io.inlet.api.ErrorResponses")
            .setLevel(Level.ERROR)
            .setThreadName("vert.x-worker-thread-3")
            .setTimeMillis(1_767_225_600_123L)
            .setMessage(new SimpleMessage("POST /ingestion/upload-json failed\nsecond line"))
            .setThrown(new IllegalStateException("S3 answered 503", new IOException("connection reset")))
            .setContextData(new SortedArrayStringMap(Map.of(
                    LogContext.REQUEST_ID, "req-1", LogContext.TENANT, "acme", "camel.exchangeId", "ex-1")))
            .build();

    private LoggerContext context;
    private Configuration configuration;

    @BeforeEach
    void load() throws IOException {
        context = new LoggerContext("log-layouts-test");
        try (InputStream in = getClass().getResourceAsStream("/log4j2.properties")) {
            configuration = new PropertiesConfigurationFactory().getConfiguration(context, new ConfigurationSource(in));
        }
        configuration.initialize();
    }

    @AfterEach
    void stop() {
        configuration.stop();
        context.stop();
    }

    @Test
    void jsonIsOneObjectALineWithTheStackTraceAsOneStringAndTheContextThatIsThere() throws IOException {
        String line = layout("json").toSerializable(failure);

        assertThat(line).endsWith("\n");
        assertThat(line.strip()).doesNotContain("\n");
        JsonNode event = Json.mapper().readTree(line);
        assertThat(event.get("timestamp").asText()).isEqualTo("2026-01-01T00:00:00.123Z");
        assertThat(event.get("level").asText()).isEqualTo("ERROR");
        assertThat(event.get("logger").asText()).isEqualTo("io.inlet.api.ErrorResponses");
        assertThat(event.get("thread").asText()).isEqualTo("vert.x-worker-thread-3");
        assertThat(event.get("message").asText()).isEqualTo("POST /ingestion/upload-json failed\nsecond line");
        assertThat(event.get("exception").isTextual()).isTrue();
        assertThat(event.get("exception").asText())
                .startsWith("java.lang.IllegalStateException: S3 answered 503")
                .contains("\tat io.inlet.ops.LogLayoutsTest.")
                .contains("Caused by: java.io.IOException: connection reset");
        assertThat(event.get("request_id").asText()).isEqualTo("req-1");
        assertThat(event.get("tenant").asText()).isEqualTo("acme");
        assertThat(event.has("file_key")).as("no file in this event's context").isFalse();
        assertThat(event.has("camel.exchangeId")).as("Camel's own MDC keys stay out").isFalse();
    }

    @Test
    void textNamesTheContextThatIsThereAfterTheMessageAndKeepsTheMessageOnItsLine() {
        String text = layout("text").toSerializable(failure);

        // a line break in a message (a dropped file's name may hold one) is written escaped: it cannot forge a line
        assertThat(text).contains(" ERROR [vert.x-worker-thread-3] ErrorResponses - POST /ingestion/upload-json failed\\nsecond line"
                        + " [request_id=req-1] [tenant=acme]\n")
                .doesNotContain("file_key")
                .contains("Caused by: java.io.IOException: connection reset");
    }

    private StringLayout layout(String appender) {
        return (StringLayout) configuration.getAppender(appender).getLayout();
    }
}

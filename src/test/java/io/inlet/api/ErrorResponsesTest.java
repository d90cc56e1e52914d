package io.inlet.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.inlet.Json;
import io.inlet.testing.CapturedLog;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/**
 * An unexpected failure is a 500 naming an incident that the log names too; the same failure again within a few
 * seconds is one line, not another stack trace: a request that can cause a 500 (a cursor S3 could not answer was
 * one) cannot fill the log at the rate it is sent, ~11 KB a request.
 */
class ErrorResponsesTest {

    @Test
    void theSameFailureAgainIsOneLineNotAnotherStackTrace() throws Exception {
        ErrorResponses responses = new ErrorResponses(Json.mapper());
        DefaultCamelContext context = new DefaultCamelContext();
        String log = CapturedLog.during(() -> {
            for (int i = 0; i < 50; i++) {
                Exchange exchange = new DefaultExchange(context);
                exchange.setProperty(Exchange.EXCEPTION_CAUGHT, failure());
                ErrorBody body = responses.respond(exchange);
                assertThat(exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(500);
                assertThat(body.message()).contains("incident");
            }
        });
        assertThat(log.lines().filter(line -> line.contains("failed (incident"))).hasSize(50);
        assertThat(log.lines().filter(line -> line.contains("at io.inlet.api.ErrorResponsesTest.failure"))).hasSize(1);
        // each later line names the incident whose trace shows it
        String traced = log.lines().filter(line -> line.contains("failed (incident")).findFirst().orElseThrow()
                .replaceAll(".*failed \\(incident ([0-9a-f-]+)\\).*", "$1");
        assertThat(log.lines().filter(line -> line.contains("as logged for incident " + traced))).hasSize(49);
    }

    private static IllegalStateException failure() {
        return new IllegalStateException("Could not parse XML response");
    }
}

package io.inlet.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.Json;
import io.inlet.limits.WaitingRoom;
import io.inlet.ops.LogContext;
import io.inlet.testing.CapturedLog;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.spi.Registry;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.Test;

/**
 * A request body that does not fit its endpoint's schema is refused naming each field, its JSON pointer and why:
 * 400 for upload-json, 422 for the bulk-upload requests. The steps are those of the endpoint routes (read the
 * body, json-validator with the real schema), and the error handling is the real route configurations of
 * routes/error-handling.camel.yaml, with the real beans; only the HTTP server and the endpoints' own work are
 * left out.
 */
class EnvelopeMismatchNamesEachFieldTest extends CamelTestSupport {

    private static final String TENANT = "acme";

    private final ObjectMapper json = Json.mapper();

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        // as in config/application.properties
        context.setStreamCaching(false);
        return context;
    }

    @Override
    protected void bindToRegistry(Registry registry) {
        // as io.inlet.InletConfiguration binds them
        registry.bind("json", json);
        registry.bind("requestJson", Json.requestMapper());
        registry.bind("jsonRequests", new JsonRequests(Json.requestMapper(), 1 << 20,
                new ParsingBudget(2 << 20, 1 << 20, 10_000, new WaitingRoom(4))));
        registry.bind("envelopeSchemas", new EnvelopeSchemas());
        registry.bind("envelopeErrors", new EnvelopeErrors());
        registry.bind("errorResponses", new ErrorResponses(json));
    }

    @Override
    protected RoutesBuilder[] createRouteBuilders() throws Exception {
        Resource errorHandling = PluginHelper.getResourceLoader(context)
                .resolveResource("classpath:routes/error-handling.camel.yaml");
        List<RoutesBuilder> builders = new ArrayList<>(PluginHelper.getRoutesLoader(context).findRoutesBuilders(errorHandling));
        builders.add(new RouteBuilder() {
            @Override
            public void configure() {
                // the first steps of routes/upload-json.camel.yaml and routes/bulk-upload.camel.yaml, the tenant
                // as apiKeyAuth.authenticate leaves it
                from("direct:upload-json").routeConfigurationId("upload-json-envelope,api-errors")
                        .setProperty(LogContext.TENANT, constant(TENANT))
                        .to("bean:jsonRequests?method=read")
                        .to("bean:jsonRequests?method=parse")
                        .to("bean:envelopeErrors?method=refuseManyNonObjectRecords")
                        .to("json-validator:schemas/upload-json-request.schema.json?uriSchemaLoader=#envelopeSchemas")
                        .to("mock:accepted");
                from("direct:generate-upload-url").routeConfigurationId("bulk-upload-envelope,api-errors")
                        .setProperty(LogContext.TENANT, constant(TENANT))
                        .to("bean:jsonRequests?method=read")
                        .to("bean:jsonRequests?method=parse")
                        .to("json-validator:schemas/generate-upload-url-request.schema.json?uriSchemaLoader=#envelopeSchemas")
                        .to("mock:accepted");
                from("direct:confirm-upload").routeConfigurationId("bulk-upload-envelope,api-errors")
                        .setProperty(LogContext.TENANT, constant(TENANT))
                        .to("bean:jsonRequests?method=read")
                        .to("bean:jsonRequests?method=parse")
                        .to("json-validator:schemas/confirm-upload-request.schema.json?uriSchemaLoader=#envelopeSchemas")
                        .to("mock:accepted");
            }
        });
        return builders.toArray(RoutesBuilder[]::new);
    }

    @Test
    void anUploadJsonEnvelopeThatDoesNotFitIs400NamingEachFieldAndWhy() {
        Exchange unknownStream = post("direct:upload-json", "{\"stream\":\"leads\",\"data\":[{}]}");
        Exchange noData = post("direct:upload-json", "{\"stream\":\"contact\"}");
        Exchange badData = post("direct:upload-json", "{\"stream\":\"contact\",\"data\":[{}, 7]}");
        Exchange emptyData = post("direct:upload-json", "{\"stream\":\"contact\",\"data\":[]}");

        assertRefused(unknownStream, 400, "{\"status\":\"error\",\"message\":\"The request body is not a valid upload-json request\","
                + "\"errors\":[{\"pointer\":\"/stream\",\"message\":\"must be one of "
                + "[\\\"account\\\",\\\"contact\\\",\\\"account_event\\\",\\\"contact_event\\\"], not \\\"leads\\\"\"}]}");
        assertRefused(noData, 400, "{\"status\":\"error\",\"message\":\"The request body is not a valid upload-json request\","
                + "\"errors\":[{\"pointer\":\"/data\",\"message\":\"is required but missing\"}]}");
        assertRefused(badData, 400, "{\"status\":\"error\",\"message\":\"The request body is not a valid upload-json request\","
                + "\"errors\":[{\"index\":1,\"pointer\":\"\",\"message\":\"must be an object, not a number\"}]}");
        assertRefused(emptyData, 400, "{\"status\":\"error\",\"message\":\"The request body is not a valid upload-json request\","
                + "\"errors\":[{\"pointer\":\"/data\",\"message\":\"must contain at least 1 item(s)\"}]}");
    }

    @Test
    void aBodyWithManyProblemsListsTheFirstHundred() throws Exception {
        int items = 200_000;
        Exchange many = post("direct:upload-json", "{\"stream\":\"contact\",\"data\":[" + "0,".repeat(items - 1) + "0]}");

        assertThat(many.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(400);
        JsonNode answer = Json.mapper().readTree(many.getMessage().getBody(String.class));
        assertThat(answer.get("message").asText()).isEqualTo("The request body is not a valid upload-json request; the first"
                + " 100 problems are listed, " + (items - 100) + " more are not");
        assertThat(answer.get("errors")).hasSize(100);
        assertThat(answer.get("errors").get(0).get("index").asInt()).isZero();
        assertThat(answer.get("errors").get(0).get("pointer").asText()).isEmpty();
        assertThat(answer.get("errors").get(0).get("message").asText()).isEqualTo("must be an object, not a number");
        // the first ones by position (found without a finding for each of the 200,000 being held)
        assertThat(answer.get("errors").get(99).get("index").asInt()).isEqualTo(99);
    }

    @Test
    void aBulkUploadRequestThatDoesNotFitIs422NamingEachFieldAndWhy() {
        Exchange wrong = post("direct:generate-upload-url",
                "{\"stream\":\"leads\",\"content_type\":\"text/csv\",\"content_encoding\":\"br\"}");
        Exchange noKey = post("direct:confirm-upload", "{}");
        Exchange numberKey = post("direct:confirm-upload", "{\"file_key\":5}");

        assertRefused(wrong, 422, "{\"status\":\"error\",\"message\":\"The request body is not a valid generate-upload-url request\","
                + "\"errors\":["
                + "{\"pointer\":\"/content_encoding\",\"message\":\"must be \\\"gzip\\\", not \\\"br\\\"\"},"
                + "{\"pointer\":\"/content_type\",\"message\":\"must be \\\"application/jsonl\\\", not \\\"text/csv\\\"\"},"
                + "{\"pointer\":\"/stream\",\"message\":\"must be one of "
                + "[\\\"account\\\",\\\"contact\\\",\\\"account_event\\\",\\\"contact_event\\\"], not \\\"leads\\\"\"}]}");
        assertRefused(noKey, 422, "{\"status\":\"error\",\"message\":\"The request body is not a valid confirm-upload request\","
                + "\"errors\":[{\"pointer\":\"/file_key\",\"message\":\"is required but missing\"}]}");
        assertRefused(numberKey, 422, "{\"status\":\"error\",\"message\":\"The request body is not a valid confirm-upload request\","
                + "\"errors\":[{\"pointer\":\"/file_key\",\"message\":\"must be a string, not a number\"}]}");
    }

    @Test
    void malformedJsonIsStill400WithLineAndColumnBeforeAnySchemaCheck() throws Exception {
        Exchange malformed = post("direct:confirm-upload", "{\"file_key\":\n }");

        assertThat(malformed.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(400);
        JsonNode body = json.readTree(malformed.getMessage().getBody(String.class));
        assertThat(body.get("message").asText()).startsWith("Malformed JSON at line 2, column 2");
        // the field whose value broke off
        assertThat(body.get("errors").get(0).get("pointer").asText()).isEqualTo("/file_key");
    }

    @Test
    void aFittingBodyGoesOnAsTheBytesThatWereReadWithTheirTreeBeside() throws Exception {
        MockEndpoint accepted = getMockEndpoint("mock:accepted");
        accepted.expectedMessageCount(1);
        String body = "{\"stream\":\"contact\",\"data\":[{\"contact_id\":\"c-1\"}]}";

        Exchange done = post("direct:upload-json", body);

        accepted.assertIsSatisfied();
        assertThat(done.getException()).isNull();
        Exchange received = accepted.getReceivedExchanges().get(0);
        assertThat(received.getMessage().getBody()).isInstanceOf(byte[].class);
        assertThat(received.getMessage().getBody(String.class)).isEqualTo(body);
        assertThat(JsonRequests.request(received).get("data").get(0).get("contact_id").asText()).isEqualTo("c-1");
    }

    @Test
    void whatARefusedBodyHeldIsNotLoggedEvenAtDebug() throws Exception {
        String secret = "secret-7f3a";
        String log = CapturedLog.during(() -> {
            Exchange refused = post("direct:generate-upload-url", "{\"stream\":\"" + secret + "\",\"content_type\":\"application/jsonl\","
                    + "\"content_encoding\":\"gzip\",\"data\":\"" + secret + "\"}");
            Exchange wrongType = post("direct:confirm-upload", "{\"file_key\":{\"" + secret + "\":\"" + secret + "\"}}");

            assertThat(refused.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(422);
            assertThat(wrongType.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(422);
        });
        assertThat(log).contains("jsonvalidator").doesNotContain(secret);
    }

    private Exchange post(String endpoint, String body) {
        return template.request(endpoint, exchange -> {
            exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
            exchange.getMessage().setHeader("x-request-header", "not for the answer");
            exchange.getMessage().setBody(body.getBytes(StandardCharsets.UTF_8));
        });
    }

    private static void assertRefused(Exchange exchange, int status, String body) {
        assertThat(exchange.getException()).isNull();
        assertThat(exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(status);
        assertThat(exchange.getMessage().getHeader(Exchange.CONTENT_TYPE)).isEqualTo("application/json");
        assertThat(exchange.getMessage().getHeader("x-request-header")).isNull();
        assertThat(exchange.getMessage().getBody(String.class)).isEqualTo(body);
    }
}

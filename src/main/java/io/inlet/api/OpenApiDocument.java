package io.inlet.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;

/**
 * GET /openapi.json: the API's OpenAPI 3.1 document. The repo file ({@code src/main/resources/openapi.json})
 * names the schema files the service validates with ({@code schemas/*.schema.json}) by relative {@code $ref}s in
 * {@code components.schemas}, so that it stays valid where it lies and no schema is ever copied into it. The
 * served document has those files inlined there (read once at start from the same classpath resources), so that
 * a client needs one request and no file layout to read it whole.
 */
public final class OpenApiDocument {

    /** The document on the classpath; schema file references are relative to it. */
    public static final String RESOURCE = "openapi.json";

    private final byte[] served;

    public OpenApiDocument(ObjectMapper json) {
        try {
            this.served = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(withSchemaFilesInlined(json));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Route step: the document, the same bytes every time. */
    public byte[] serve(Exchange exchange) {
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        return served;
    }

    /** Each {@code components.schemas} entry that is only a {@code $ref} to a file becomes that file's schema. */
    static ObjectNode withSchemaFilesInlined(ObjectMapper json) {
        ObjectNode document = (ObjectNode) read(json, RESOURCE);
        JsonNode schemas = document.path("components").path("schemas");
        if (!(schemas instanceof ObjectNode named)) {
            throw new IllegalStateException(RESOURCE + " has no components.schemas");
        }
        List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
        named.fields().forEachRemaining(entries::add);
        for (Map.Entry<String, JsonNode> entry : entries) {
            JsonNode ref = entry.getValue().get("$ref");
            if (entry.getValue().size() == 1 && ref != null && !ref.asText().startsWith("#")) {
                named.set(entry.getKey(), read(json, ref.asText()));
            }
        }
        return document;
    }

    private static JsonNode read(ObjectMapper json, String resource) {
        try (InputStream in = OpenApiDocument.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the classpath (referenced by " + RESOURCE + ")");
            }
            return json.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

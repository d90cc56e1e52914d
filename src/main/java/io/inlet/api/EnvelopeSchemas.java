package io.inlet.api;

import com.networknt.schema.JsonSchema;
import io.inlet.schema.JsonSchemas;
import org.apache.camel.CamelContext;
import org.apache.camel.component.jsonvalidator.JsonUriSchemaLoader;

/**
 * Loads the schemas of the routes' json-validator steps ({@code uriSchemaLoader=#envelopeSchemas}) with the
 * settings of the record schemas (draft 2020-12, JSON pointers, formats asserted), not the component's defaults.
 */
public final class EnvelopeSchemas implements JsonUriSchemaLoader {

    @Override
    public JsonSchema createSchema(CamelContext camelContext, String schemaUri) {
        return JsonSchemas.load(schemaUri.startsWith("classpath:") ? schemaUri.substring("classpath:".length()) : schemaUri);
    }
}

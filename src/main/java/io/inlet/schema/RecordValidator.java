package io.inlet.schema;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;

/** Validates records against the schema of their stream ({@code schemas/{stream}.schema.json}). Thread-safe. */
public final class RecordValidator {

    private final Map<Stream, JsonSchema> schemas = new EnumMap<>(Stream.class);

    public RecordValidator() {
        for (Stream stream : Stream.values()) {
            schemas.put(stream, JsonSchemas.load(stream.schemaResource()));
        }
    }

    /** The problems of one record; empty when it is valid. */
    public List<FieldError> validate(Stream stream, JsonNode record) {
        if (record == null || !record.isObject()) {
            return List.of(new FieldError("", "must be a JSON object, not " + (record == null ? "nothing"
                    : record.getNodeType().name().toLowerCase())));
        }
        try {
            return JsonSchemas.validate(schemas.get(stream), record, propertiesField(stream));
        } catch (StackOverflowError tooDeep) {
            // The schemas' patterns are written not to recurse; should one still run out of stack on a field, the
            // record is refused here rather than the request (or the batch) failing with it.
            return List.of(new FieldError("", "could not be checked against the " + stream + " schema: a field is too"
                    + " complex for its pattern"));
        }
    }

    private static String propertiesField(Stream stream) {
        return switch (stream) {
            case ACCOUNT -> "account_properties";
            case CONTACT -> "contact_properties";
            case ACCOUNT_EVENT, CONTACT_EVENT -> "event_properties";
        };
    }
}

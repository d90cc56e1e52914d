package io.inlet.schema;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

/**
 * Loads the JSON Schema files shipped in {@code schemas/} (networknt, draft 2020-12, formats asserted) and
 * turns the validator's findings into {@link FieldError}s with JSON pointers and plain sentences.
 */
public final class JsonSchemas {

    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.builder(
                    JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012))
            .metaSchema(JsonMetaSchema.builder(JsonMetaSchema.getV202012()).format(new Rfc3339()).build())
            .build();
    private static final SchemaValidatorsConfig CONFIG = SchemaValidatorsConfig.builder()
            .pathType(PathType.JSON_POINTER)
            .formatAssertionsEnabled(true)
            .regularExpressionFactory(new SchemaPatterns())
            .build();

    /** Unknown fields of a record named one by one at most (see {@link #validate}). */
    public static final int MOST_UNKNOWN_FIELDS = 100;

    private JsonSchemas() {
    }

    public static JsonSchema load(String resource) {
        try (InputStream in = JsonSchemas.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("Schema " + resource + " is not on the classpath");
            }
            JsonSchema schema = FACTORY.getSchema(in, CONFIG);
            schema.initializeValidators();
            return schema;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Validates and explains; the list is sorted by pointer so that the same input always reads the same. A record
     * with more than {@link #MOST_UNKNOWN_FIELDS} fields the schema does not know is checked with its known fields and
     * the first that many unknown ones only, and one more error says how many there were: the validator holds a
     * finding for each (a 1 MB line of 90,000 short unknown fields held hundreds of megabytes in findings).
     */
    public static List<FieldError> validate(JsonSchema schema, JsonNode instance, String propertiesField) {
        JsonNode checked = instance;
        int unknown = 0;
        if (instance instanceof ObjectNode object && object.size() > MOST_UNKNOWN_FIELDS) {
            JsonNode known = schema.getSchemaNode().path("properties");
            ObjectNode kept = object.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> fields = object.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (known.has(field.getKey()) || ++unknown <= MOST_UNKNOWN_FIELDS) {
                    kept.set(field.getKey(), field.getValue());
                }
            }
            checked = kept;
        }
        List<FieldError> errors = explain(schema.validate(checked), propertiesField);
        if (unknown <= MOST_UNKNOWN_FIELDS) {
            return errors;
        }
        List<FieldError> withCount = new ArrayList<>(errors.size() + 1);
        withCount.add(new FieldError("", "has " + unknown + " fields that are not fields of this record; the first "
                + MOST_UNKNOWN_FIELDS + " are named" + (propertiesField == null ? ""
                        : "; free-form attributes belong in " + propertiesField)));
        withCount.addAll(errors);
        return withCount;
    }

    /**
     * The validator's findings (from {@link #validate} or from Camel's json-validator, which runs the same
     * validator) as field errors, sorted by pointer. {@code propertiesField} names where a record's free-form
     * attributes belong; null where there is no such field.
     */
    public static List<FieldError> explain(Set<ValidationMessage> messages, String propertiesField) {
        if (messages.isEmpty()) {
            return List.of();
        }
        List<FieldError> errors = new ArrayList<>(messages.size());
        for (ValidationMessage m : messages) {
            errors.add(explain(m, propertiesField));
        }
        errors.sort(Comparator.comparing(FieldError::pointer).thenComparing(FieldError::message));
        return errors;
    }

    private static FieldError explain(ValidationMessage m, String propertiesField) {
        String at = m.getInstanceLocation() == null ? "" : m.getInstanceLocation().toString();
        JsonNode schemaNode = m.getSchemaNode();
        JsonNode instance = m.getInstanceNode();
        return switch (m.getType()) {
            case "required" -> new FieldError(at + "/" + escape(m.getProperty()), "is required but missing");
            case "additionalProperties" -> new FieldError(at + "/" + escape(m.getProperty()),
                    "is not a field of this record"
                            + (propertiesField == null ? "" : "; free-form attributes belong in " + propertiesField));
            case "type" -> new FieldError(at, "must be " + article(schemaNode.asText()) + ", not " + kind(instance));
            // a record's constant is its optional type marker; a request envelope's (content_type) is required
            case "const" -> new FieldError(at, "must be \"" + schemaNode.asText() + "\""
                    + (propertiesField != null ? " (or left out)" : "") + ", not " + describe(instance));
            case "enum" -> new FieldError(at, "must be one of " + schemaNode + ", not " + describe(instance));
            case "minLength" -> new FieldError(at, schemaNode.asInt() <= 1 ? "must not be empty"
                    : "must be at least " + schemaNode.asInt() + " characters long");
            case "maxLength" -> new FieldError(at, "must be at most " + schemaNode.asInt() + " characters long");
            case "minItems" -> new FieldError(at, "must contain at least " + schemaNode.asInt() + " item(s)");
            case "format" -> new FieldError(at, "date-time".equals(formatOf(m))
                    ? "must be an RFC 3339 date-time with a UTC offset, like 2025-06-27T07:26:00Z (in UTC within the years"
                            + " 0000 to 9999), not " + describe(instance)
                    : "is not a valid " + formatOf(m) + ": " + describe(instance));
            case "pattern" -> new FieldError(at, patternMessage(at, instance));
            default -> new FieldError(at, m.getError());
        };
    }

    private static String patternMessage(String at, JsonNode instance) {
        if (at.endsWith("/email")) {
            return "must be an email address like jane@acme.com, not " + describe(instance);
        }
        if (at.endsWith("/domain")) {
            return "must be a bare domain like acme.com (no scheme, path or spaces), not " + describe(instance);
        }
        return "does not have the expected form: " + describe(instance);
    }

    private static String formatOf(ValidationMessage m) {
        return m.getSchemaNode() == null ? "value" : m.getSchemaNode().asText();
    }

    private static String escape(String property) {
        return property == null ? "" : property.replace("~", "~0").replace("/", "~1");
    }

    private static String article(String type) {
        return switch (type) {
            case "object", "array", "integer" -> "an " + type;
            default -> "a " + type;
        };
    }

    /** What a value is, in the words of the messages: "an object", "a number", "null", "missing". */
    public static String kind(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "missing";
        }
        return switch (node.getNodeType()) {
            case OBJECT -> "an object";
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase();
        };
    }

    private static String describe(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        if (node.isContainerNode()) {
            return kind(node);
        }
        String text = node.toString();
        return FieldError.cut(text, 80, "...");
    }
}

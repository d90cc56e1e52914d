package io.inlet.schema;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What is wrong with one field of one record: a JSON pointer into the record and a sentence. */
public record FieldError(@JsonProperty("pointer") String pointer, @JsonProperty("message") String message) {
}

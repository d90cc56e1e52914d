package io.inlet.status;

import com.fasterxml.jackson.annotation.JsonProperty;

/** An entry of a zip archive that was not read (not a JSONL file, encrypted, a path out of the archive…), and why. */
public record RefusedEntry(@JsonProperty("entry") String entry, @JsonProperty("reason") String reason) {
}

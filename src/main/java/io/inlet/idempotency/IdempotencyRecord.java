package io.inlet.idempotency;

import java.time.Duration;
import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * What is known of one tenant's Idempotency-Key ({@code _idempotency/{tenant}/{sha256 of the key}.json} in the lake
 * bucket): the request it was first used with (a SHA-256 of the batch as stored), the file key that batch gets,
 * and, once the batch is stored, the answer. A record is {@code started} by the request that created it (its
 * {@code owner} the instance), {@code interrupted} when that request failed before storing, {@code done} with the
 * answer once the batch is in the inbox. {@code created_at} is the key's first use, from which its TTL counts
 * whoever finishes the request.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record IdempotencyRecord(
        @JsonProperty("state") String state,
        @JsonProperty("request_sha256") String requestSha256,
        @JsonProperty("file_key") String fileKey,
        @JsonProperty("owner") String owner,
        @JsonProperty("created_at") String createdAt,
        @JsonProperty("updated_at") String updatedAt,
        @JsonProperty("response_status") Integer responseStatus,
        @JsonProperty("response_body") JsonNode responseBody) {

    static final String STARTED = "started";
    static final String INTERRUPTED = "interrupted";
    static final String DONE = "done";

    static IdempotencyRecord started(String requestSha256, String fileKey, String owner, Instant now) {
        return new IdempotencyRecord(STARTED, requestSha256, fileKey, owner, now.toString(), now.toString(), null, null);
    }

    /** The same request, now worked on by another owner: same body, same file key, same age. */
    IdempotencyRecord takenOverBy(String newOwner, Instant now) {
        return new IdempotencyRecord(STARTED, requestSha256, fileKey, newOwner, createdAt, now.toString(), null, null);
    }

    IdempotencyRecord interrupted(Instant now) {
        return new IdempotencyRecord(INTERRUPTED, requestSha256, fileKey, owner, createdAt, now.toString(), null, null);
    }

    IdempotencyRecord done(int status, JsonNode body, Instant now) {
        return new IdempotencyRecord(DONE, requestSha256, fileKey, owner, createdAt, now.toString(), status, body);
    }

    @JsonIgnore
    boolean isDone() {
        return DONE.equals(state) && responseStatus != null && responseBody != null;
    }

    @JsonIgnore
    boolean isInterrupted() {
        return INTERRUPTED.equals(state);
    }

    /** Past its TTL (counted from the first use): the key is free again. */
    boolean expired(Instant now, Duration ttl) {
        return !Instant.parse(createdAt).plus(ttl).isAfter(now);
    }

}

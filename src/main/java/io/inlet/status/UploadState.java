package io.inlet.status;

import com.fasterxml.jackson.annotation.JsonValue;

/** Where a file is in its life, as the status endpoint reports it. */
public enum UploadState {
    AWAITING_UPLOAD,
    QUEUED,
    PROCESSING,
    COMPLETED,
    COMPLETED_WITH_ERRORS,
    FAILED,
    /** A presigned upload nobody confirmed before its URL expired (plus the grace period): its upload is deleted. */
    EXPIRED;

    @JsonValue
    public String wireName() {
        return name().toLowerCase();
    }
}

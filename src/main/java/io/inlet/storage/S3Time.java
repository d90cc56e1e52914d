package io.inlet.storage;

import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

import software.amazon.awssdk.core.SdkResponse;

/**
 * S3's own time, from the {@code Date} header of one of its answers. An object's age is S3's now less its
 * LastModified, both S3's clock: with the instance's own clock instead, an instance whose clock runs ahead takes
 * other instances' live batches for abandoned ones (a minute ahead: nearly every batch).
 */
public final class S3Time {

    private S3Time() {
    }

    /** When S3 answered, to the second; empty when the answer has no (readable) Date header. */
    public static Optional<Instant> of(SdkResponse answer) {
        return answer.sdkHttpResponse().firstMatchingHeader("Date").flatMap(date -> {
            try {
                return Optional.of(ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            } catch (DateTimeParseException notAnHttpDate) {
                return Optional.empty();
            }
        });
    }
}

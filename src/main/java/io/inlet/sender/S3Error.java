package io.inlet.sender;

import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What an S3 error answer ({@code <Error><Code>…</Code><Message>…</Message>}) says, when the body is one. */
final class S3Error {

    private static final Pattern CODE = Pattern.compile("<Code>([^<]+)</Code>");
    private static final Pattern MESSAGE = Pattern.compile("<Message>([^<]+)</Message>");

    private S3Error() {
    }

    static Optional<String> code(HttpResponse<?> answer) {
        return find(CODE, answer);
    }

    static Optional<String> message(HttpResponse<?> answer) {
        return find(MESSAGE, answer);
    }

    private static Optional<String> find(Pattern pattern, HttpResponse<?> answer) {
        if (answer.body() instanceof String body) {
            Matcher found = pattern.matcher(body);
            if (found.find()) {
                return Optional.of(found.group(1));
            }
        }
        return Optional.empty();
    }
}

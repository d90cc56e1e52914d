package io.inlet.pipeline;

import java.io.IOException;

/**
 * The file itself cannot be read as JSONL (not gzip nor text, truncated or corrupt gzip, a gzip bomb, gone):
 * the file fails as a whole and none of its records reach the lake. Retrying would give the same answer.
 */
public final class SourceFailure extends IOException {

    public SourceFailure(String reason) {
        super(reason);
    }

    public SourceFailure(String reason, Throwable cause) {
        super(reason, cause);
    }
}

package io.inlet.sender;

import io.inlet.status.UploadState;

/**
 * How a file ended, as the sender's commands exit: 0 when every file completed, 2 when some lines were rejected
 * (and no file failed), 1 when a file failed or was refused. A script can tell "fix some lines" from "nothing
 * went in" by the code alone.
 */
enum Verdict {
    COMPLETED(0),
    COMPLETED_WITH_ERRORS(2),
    FAILED(1);

    /** Bad arguments (sysexits' EX_USAGE): apart from 1 and 2, which say how files ended. */
    static final int USAGE = 64;

    final int exitCode;

    Verdict(int exitCode) {
        this.exitCode = exitCode;
    }

    static Verdict of(UploadState state) {
        return switch (state) {
            case COMPLETED -> COMPLETED;
            case COMPLETED_WITH_ERRORS -> COMPLETED_WITH_ERRORS;
            default -> FAILED;
        };
    }

    /** By a status document's {@code state}; anything else than the two completed states is a failure. */
    static Verdict of(String state) {
        if (state.equals(UploadState.COMPLETED.wireName())) {
            return COMPLETED;
        }
        return state.equals(UploadState.COMPLETED_WITH_ERRORS.wireName()) ? COMPLETED_WITH_ERRORS : FAILED;
    }

    /** The verdict of several files: the worst of them. */
    Verdict and(Verdict other) {
        return other.ordinal() > ordinal() ? other : this;
    }
}

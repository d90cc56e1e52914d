package io.inlet.dropfolder;

/** A dropped file that will not be taken as it is; the message is the one sentence written beside it in .error/. */
public final class DropRefused extends RuntimeException {

    public DropRefused(String reason) {
        super(reason, null, false, false);
    }
}

package io.inlet.storage.embedded;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * How many requests the public S3 port works on at once: in total (each holds a thread of the upload server
 * while its body streams in), per client address, and one write at a time per presigned object, so that one
 * client cannot take every upload slot with bodies it never finishes.
 */
final class UploadAdmission {

    enum Verdict { ADMITTED, SERVER_BUSY, CLIENT_BUSY, OBJECT_BUSY }

    private final int maxInFlight;
    private final int maxPerClient;
    private int inFlight;
    private final Map<String, Integer> perClient = new HashMap<>();
    private final Set<String> objectsBeingWritten = new HashSet<>();

    UploadAdmission(int maxInFlight, int maxPerClient) {
        this.maxInFlight = maxInFlight;
        this.maxPerClient = maxPerClient;
    }

    /** @param object the object a presigned PUT writes, or null for any other request */
    synchronized Verdict admit(String client, String object) {
        if (inFlight >= maxInFlight) {
            return Verdict.SERVER_BUSY;
        }
        if (perClient.getOrDefault(client, 0) >= maxPerClient) {
            return Verdict.CLIENT_BUSY;
        }
        if (object != null && !objectsBeingWritten.add(object)) {
            return Verdict.OBJECT_BUSY;
        }
        inFlight++;
        perClient.merge(client, 1, Integer::sum);
        return Verdict.ADMITTED;
    }

    synchronized void release(String client, String object) {
        inFlight--;
        perClient.computeIfPresent(client, (k, n) -> n == 1 ? null : n - 1);
        if (object != null) {
            objectsBeingWritten.remove(object);
        }
    }

    synchronized int inFlight() {
        return inFlight;
    }
}

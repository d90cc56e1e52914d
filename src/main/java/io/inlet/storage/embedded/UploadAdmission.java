package io.inlet.storage.embedded;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * How many requests the public S3 port works on at once: in total (each holds a thread of the upload server
 * while its body streams in), per client address, per tenant (whose file key a presigned PUT writes, from any
 * number of addresses), and one write at a time per presigned object, so that neither one client nor one tenant
 * can take every upload slot with bodies it never finishes.
 */
final class UploadAdmission {

    enum Verdict { ADMITTED, SERVER_BUSY, CLIENT_BUSY, TENANT_BUSY, OBJECT_BUSY }

    private final int maxInFlight;
    private final int maxPerClient;
    private final int maxPerTenant;
    private int inFlight;
    private final Map<String, Integer> perClient = new HashMap<>();
    private final Map<String, Integer> perTenant = new HashMap<>();
    private final Set<String> objectsBeingWritten = new HashSet<>();

    UploadAdmission(int maxInFlight, int maxPerClient, int maxPerTenant) {
        this.maxInFlight = maxInFlight;
        this.maxPerClient = maxPerClient;
        this.maxPerTenant = maxPerTenant;
    }

    /**
     * @param object the object a presigned PUT writes, or null for any other request
     * @param tenant the tenant whose file that object is, or null
     */
    synchronized Verdict admit(String client, String object, String tenant) {
        if (inFlight >= maxInFlight) {
            return Verdict.SERVER_BUSY;
        }
        if (perClient.getOrDefault(client, 0) >= maxPerClient) {
            return Verdict.CLIENT_BUSY;
        }
        if (tenant != null && perTenant.getOrDefault(tenant, 0) >= maxPerTenant) {
            return Verdict.TENANT_BUSY;
        }
        if (object != null && !objectsBeingWritten.add(object)) {
            return Verdict.OBJECT_BUSY;
        }
        inFlight++;
        perClient.merge(client, 1, Integer::sum);
        if (tenant != null) {
            perTenant.merge(tenant, 1, Integer::sum);
        }
        return Verdict.ADMITTED;
    }

    synchronized void release(String client, String object, String tenant) {
        inFlight--;
        perClient.computeIfPresent(client, (k, n) -> n == 1 ? null : n - 1);
        if (tenant != null) {
            perTenant.computeIfPresent(tenant, (k, n) -> n == 1 ? null : n - 1);
        }
        if (object != null) {
            objectsBeingWritten.remove(object);
        }
    }

    synchronized int inFlight() {
        return inFlight;
    }
}

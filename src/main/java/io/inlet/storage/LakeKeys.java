package io.inlet.storage;

import java.time.LocalDate;

import io.inlet.schema.Stream;

/**
 * Names in the lake bucket. Records: {@code {stream}/tenant={tenant}/dt={yyyy-MM-dd}/part-{batch}-{seq}.jsonl.gz}.
 * Beside them, under prefixes starting with '_' (which Hive-style readers skip): per-upload status documents,
 * rejected-records files, the manifests of batches in progress and upload-json's idempotency records.
 */
public final class LakeKeys {

    public static final String STATUS_PREFIX = "_status/";
    public static final String REJECTED_PREFIX = "_rejected/";
    public static final String MANIFEST_PREFIX = "_manifests/";
    public static final String CLAIM_PREFIX = "_claims/";
    public static final String INSTANCE_PREFIX = "_instances/";
    public static final String IDEMPOTENCY_PREFIX = "_idempotency/";
    public static final String UPLOADS_PREFIX = "_uploads/";

    private LakeKeys() {
    }

    public static String status(String fileKey) {
        return STATUS_PREFIX + fileKey + ".json";
    }

    public static String rejected(String fileKey) {
        return REJECTED_PREFIX + fileKey + ".rejected.jsonl.gz";
    }

    /**
     * A batch's manifest while it runs; or, with {@link #ABANDONED_METADATA}, the tombstone of a batch given up before
     * it was sealed (kept a day).
     */
    public static String manifest(String batchId) {
        return MANIFEST_PREFIX + batchId + ".json";
    }

    /** The user metadata ("true") that makes a batch's manifest key a tombstone. */
    public static final String ABANDONED_METADATA = "inlet-abandoned";

    /** Which batch an inbox file belongs to; created once ({@code If-None-Match: *}), deleted after archiving. */
    public static String claim(String fileKey) {
        return CLAIM_PREFIX + fileKey;
    }

    /** An instance's heartbeat: rewritten every third of the lease timeout while it runs. */
    public static String instance(String instanceId) {
        return INSTANCE_PREFIX + instanceId;
    }

    /**
     * The first answer to an upload-json request with an Idempotency-Key, under the tenant (a key never matches
     * another tenant's) and the key's SHA-256 in hex (the key itself is not stored).
     */
    public static String idempotency(String tenant, String keySha256) {
        return IDEMPOTENCY_PREFIX + tenant + "/" + keySha256 + ".json";
    }

    /** A tenant's entries in the upload index (io.inlet.status.UploadIndex): they list newest first. */
    public static String uploadsOf(String tenant) {
        return UPLOADS_PREFIX + "tenant=" + tenant + "/";
    }

    public static String partitionPrefix(Stream stream, String tenant, LocalDate date) {
        return stream.wireName() + "/tenant=" + tenant + "/dt=" + date + "/";
    }

    /** Deterministic: the same batch writes the same part names, so a rerun overwrites instead of adding. */
    public static String part(Stream stream, String tenant, LocalDate date, String batchId, int sequence) {
        return partitionPrefix(stream, tenant, date) + "part-" + batchId + "-" + String.format("%05d", sequence) + ".jsonl.gz";
    }
}

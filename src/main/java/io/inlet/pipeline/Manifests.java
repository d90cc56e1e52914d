package io.inlet.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.inlet.storage.LakeKeys;
import io.inlet.storage.S3Objects;
import io.inlet.storage.S3Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Batch manifests in the lake bucket: written before a batch's output, deleted after its sources are archived.
 *
 * <p>A batch's manifest key decides, once, whether the batch was sealed or abandoned: the planner creates the
 * manifest, and whoever gives up on an unsealed batch (the planner itself when its write failed, the reconciliation
 * when the batch's claims are old) creates a tombstone there instead, both with {@code If-None-Match: *}. Whichever
 * comes first stands. So a manifest write whose answer was lost, or that is still on its way, can never seal a batch
 * whose files were handed to another batch meanwhile: files are handed on only once the tombstone stands.
 */
public final class Manifests {

    private static final Logger LOG = LoggerFactory.getLogger(Manifests.class);

    /** What a batch's manifest key holds. */
    enum State {
        /** Nothing: the batch is being sealed, or its owner stopped before it was (or it is done and gone). */
        NONE,
        /** Its manifest: the batch owns its claimed files until it is done. */
        SEALED,
        /** A tombstone: the batch will never run; its claims are free for any batch to take over. */
        ABANDONED
    }

    private final S3Client s3;
    private final String bucket;
    private final ObjectMapper json;

    public Manifests(S3Client s3, String bucket, ObjectMapper json) {
        this.s3 = s3;
        this.bucket = bucket;
        this.json = json;
    }

    /**
     * Seals the batch: creates its manifest unless its key is taken. SEALED when the manifest stands (created now, or
     * by an earlier attempt of this same write whose answer was lost), ABANDONED when a tombstone was there first. A
     * write whose outcome cannot be known is settled by trying to abandon the batch; throws only when S3 cannot say
     * either way, and then the batch's claims must stay as they are (the reconciliation settles it later).
     */
    State create(BatchManifest manifest) {
        byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(manifest);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            s3.putObject(b -> b.bucket(bucket).key(LakeKeys.manifest(manifest.batchId())).contentType("application/json")
                    .ifNoneMatch("*"), RequestBody.fromBytes(bytes));
            return State.SEALED;
        } catch (SdkException e) {
            // 412: the key is taken (a tombstone, or this write's own earlier attempt); anything else: it may or may not
            // have been stored. Either way the key alone can tell now.
            State state = abandon(manifest.batchId(), "its manifest write failed: " + e.getMessage());
            LOG.warn("Writing the manifest of batch {} failed ({}); {}", manifest.batchId(), e.getMessage(),
                    state == State.SEALED ? "it was stored all the same: the batch is sealed"
                            : "the batch is abandoned, and its files are planned again");
            return state;
        }
    }

    /**
     * Abandons a batch that is not sealed: creates its tombstone unless its key is taken. ABANDONED when a tombstone
     * stands (now or before), SEALED when the batch's manifest is there; throws when S3 cannot say.
     */
    State abandon(String batchId, String reason) {
        byte[] body;
        try {
            body = json.writeValueAsBytes(Map.of("abandoned_at", Instant.now().toString(), "reason", reason));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            s3.putObject(b -> b.bucket(bucket).key(LakeKeys.manifest(batchId)).contentType("application/json")
                    .metadata(Map.of(LakeKeys.ABANDONED_METADATA, "true")).ifNoneMatch("*"), RequestBody.fromBytes(body));
            return State.ABANDONED;
        } catch (S3Exception e) {
            if (e.statusCode() != 412 && e.statusCode() != 409) {
                throw e;
            }
        }
        State state = state(batchId);
        if (state == State.NONE) {
            // 409: another conditional write of the key was under way; 412 then gone: a finished batch's manifest
            throw new IllegalStateException("batch " + batchId + " was being sealed or finished meanwhile");
        }
        return state;
    }

    /** What the batch's manifest key holds now. */
    State state(String batchId) {
        return S3Objects.head(s3, bucket, LakeKeys.manifest(batchId))
                .map(head -> isTombstone(head.metadata()) ? State.ABANDONED : State.SEALED)
                .orElse(State.NONE);
    }

    private static boolean isTombstone(Map<String, String> metadata) {
        return metadata != null && "true".equals(metadata.get(LakeKeys.ABANDONED_METADATA));
    }

    /** A plain PUT, for a server without conditional writes (see {@link #replace}). */
    private void write(BatchManifest manifest) {
        try {
            byte[] bytes = json.writeValueAsBytes(manifest);
            s3.putObject(b -> b.bucket(bucket).key(LakeKeys.manifest(manifest.batchId())).contentType("application/json"),
                    RequestBody.fromBytes(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A manifest as read, with the ETag that a conditional rewrite names; {@code manifest} null: a tombstone. */
    record Versioned(BatchManifest manifest, String eTag) {
        boolean abandoned() {
            return manifest == null;
        }
    }

    /** The batch's manifest or tombstone; empty when there is neither. */
    Optional<Versioned> readVersioned(String batchId) {
        try {
            var response = s3.getObjectAsBytes(b -> b.bucket(bucket).key(LakeKeys.manifest(batchId)));
            if (isTombstone(response.response().metadata())) {
                return Optional.of(new Versioned(null, response.response().eTag()));
            }
            return Optional.of(new Versioned(json.readValue(response.asByteArray(), BatchManifest.class),
                    response.response().eTag()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("Unreadable manifest " + batchId, e);
        }
    }

    /**
     * Rewrites the manifest only if it is still the version read ({@code If-Match}), so that of several instances
     * taking over one batch at once, one does. False when another got there first. A server that does not
     * support conditional writes gets a plain PUT: two instances may then both run the batch, which writes the
     * same parts either way.
     */
    boolean replace(BatchManifest manifest, String eTag) {
        try {
            byte[] bytes = json.writeValueAsBytes(manifest);
            s3.putObject(b -> b.bucket(bucket).key(LakeKeys.manifest(manifest.batchId())).contentType("application/json")
                    .ifMatch(eTag), RequestBody.fromBytes(bytes));
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409 || e.statusCode() == 404) {
                return false;
            }
            if (e.statusCode() == 501) {
                write(manifest);
                return true;
            }
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The batch's manifest; empty when it has none (not sealed, done, or abandoned). */
    Optional<BatchManifest> read(String batchId) {
        return readVersioned(batchId).map(Versioned::manifest);
    }

    /**
     * The batches whose manifest keys hold something (sealed and not finished, or abandoned: tell them apart by
     * reading), with when each was last written.
     */
    Pending pending() {
        Map<String, Instant> pending = new TreeMap<>();
        Instant s3Now = null;
        for (ListObjectsV2Response page : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(LakeKeys.MANIFEST_PREFIX))) {
            if (s3Now == null) {
                s3Now = S3Time.of(page).orElse(null);
            }
            for (S3Object object : page.contents()) {
                String key = object.key();
                if (key.endsWith(".json")) {
                    pending.put(key.substring(LakeKeys.MANIFEST_PREFIX.length(), key.length() - ".json".length()),
                            object.lastModified());
                }
            }
        }
        return new Pending(pending, s3Now);
    }

    /** The manifests by batch id, each with its LastModified, and S3's time when it listed them (null: unknown). */
    record Pending(Map<String, Instant> lastModified, Instant s3Now) {
    }

    void delete(String batchId) {
        s3.deleteObject(b -> b.bucket(bucket).key(LakeKeys.manifest(batchId)));
    }
}

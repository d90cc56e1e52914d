package io.inlet.storage;

import java.util.List;
import java.util.Optional;

import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Small S3 questions asked in several places. */
public final class S3Objects {

    private S3Objects() {
    }

    /** The object's metadata, or empty when there is no such object (HEAD answers 404 without a body). */
    public static Optional<HeadObjectResponse> head(S3Client s3, String bucket, String key) {
        try {
            return Optional.of(s3.headObject(b -> b.bucket(bucket).key(key)));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * Deletes the keys in DeleteObjects calls of up to 1,000 (S3's limit): one round trip per thousand objects
     * instead of one per object. A key that is already gone counts as deleted, as it does for S3.
     */
    public static void deleteAll(S3Client s3, String bucket, List<String> keys) {
        for (int from = 0; from < keys.size(); from += 1000) {
            List<ObjectIdentifier> page = keys.subList(from, Math.min(keys.size(), from + 1000)).stream()
                    .map(key -> ObjectIdentifier.builder().key(key).build()).toList();
            DeleteObjectsResponse response = s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(page).quiet(true)));
            if (response.hasErrors() && !response.errors().isEmpty()) {
                S3Error error = response.errors().get(0);
                throw new IllegalStateException("S3 did not delete " + response.errors().size() + " of " + page.size()
                        + " objects in " + bucket + ", " + error.key() + " first: " + error.code() + " " + error.message());
            }
        }
    }
}

package io.inlet.storage;

import java.util.List;

import io.inlet.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The four buckets. Keys are identical across them; only the bucket says where a file is in its life. */
public record Buckets(String landing, String inbox, String archive, String lake) {

    private static final Logger LOG = LoggerFactory.getLogger(Buckets.class);

    public static Buckets of(Settings settings) {
        return new Buckets(settings.landingBucket(), settings.inboxBucket(), settings.archiveBucket(),
                settings.lakeBucket());
    }

    public List<String> all() {
        return List.of(landing, inbox, archive, lake);
    }

    /** Creates the missing buckets; an existing bucket (ours or one made by an operator) is left as it is. */
    public void ensureExist(S3Client s3) {
        for (String bucket : all()) {
            try {
                s3.headBucket(b -> b.bucket(bucket));
            } catch (NoSuchBucketException missing) {
                create(s3, bucket);
            } catch (S3Exception e) {
                if (e.statusCode() != 404) {
                    throw e;
                }
                create(s3, bucket);
            }
        }
    }

    private static void create(S3Client s3, String bucket) {
        try {
            s3.createBucket(b -> b.bucket(bucket));
            LOG.info("Created bucket {}", bucket);
        } catch (BucketAlreadyOwnedByYouException createdMeanwhile) {
            // another instance starting at the same moment made it: what this start wanted
            LOG.debug("Bucket {} was created by another instance meanwhile", bucket);
        }
    }
}

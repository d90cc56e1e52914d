package io.inlet.storage.embedded;

import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import software.amazon.awssdk.services.s3.model.BucketCannedACL;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * Every bucket and object of the embedded S3 is private, whatever a request asks for. S3Proxy serves anonymous
 * GETs of anything marked public-read; Inlet's buckets hold tenants' data and nothing in them is ever public,
 * so ACLs are dropped on write and always read back as private. Anonymous requests then get 403 everywhere.
 */
final class PrivateBlobStore extends ForwardingBlobStore {

    PrivateBlobStore(BlobStore delegate) {
        super(delegate);
    }

    @Override
    public PutObjectResponse putBlob(PutObjectRequest request, java.io.InputStream content) {
        return super.putBlob(request.toBuilder().acl((String) null).grantRead(null).grantReadACP(null)
                .grantWriteACP(null).grantFullControl(null).build(), content);
    }

    @Override
    public CopyObjectResponse copyBlob(CopyObjectRequest request) {
        return super.copyBlob(request.toBuilder().acl((String) null).grantRead(null).grantReadACP(null)
                .grantWriteACP(null).grantFullControl(null).build());
    }

    @Override
    public BucketCannedACL getContainerAccess(String container) {
        return BucketCannedACL.PRIVATE;
    }

    @Override
    public void setContainerAccess(String container, BucketCannedACL access) {
        // private stays private
    }

    @Override
    public ObjectCannedACL getBlobAccess(String container, String key) {
        return ObjectCannedACL.PRIVATE;
    }

    @Override
    public ObjectCannedACL getBlobAccess(String container, String key, String versionId) {
        return ObjectCannedACL.PRIVATE;
    }

    @Override
    public void setBlobAccess(String container, String key, ObjectCannedACL access) {
        // private stays private
    }

    @Override
    public void setBlobAccess(String container, String key, ObjectCannedACL access, String versionId) {
        // private stays private
    }
}

package io.inlet.upload;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The body of a generate-upload-url answer. Its {@code toString} leaves the URL's query (the signature and
 * credential scope) out: Camel logs a bean's result at TRACE, and a presigned URL is never logged whole.
 */
public record UploadUrlResponse(@JsonProperty("upload_url") String uploadUrl, @JsonProperty("file_key") String fileKey) {

    @Override
    public String toString() {
        return "UploadUrlResponse[upload_url=" + withoutSignature(uploadUrl) + ", file_key=" + fileKey + "]";
    }

    /** A presigned URL as it may be shown or logged: its query (signature, credential scope) left out. */
    public static String withoutSignature(String url) {
        int query = url.indexOf('?');
        return query < 0 ? url : url.substring(0, query) + "?(signed query not shown)";
    }
}

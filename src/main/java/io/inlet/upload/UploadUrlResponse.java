package io.inlet.upload;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The body of a generate-upload-url answer. Its {@code toString} leaves the URL's query (the signature and
 * credential scope) out: Camel logs a bean's result at TRACE, and a presigned URL is never logged whole.
 */
public record UploadUrlResponse(@JsonProperty("upload_url") String uploadUrl, @JsonProperty("file_key") String fileKey) {

    @Override
    public String toString() {
        int query = uploadUrl.indexOf('?');
        String shown = query < 0 ? uploadUrl : uploadUrl.substring(0, query) + "?(signed query not shown)";
        return "UploadUrlResponse[upload_url=" + shown + ", file_key=" + fileKey + "]";
    }
}

package io.inlet.api;

import io.inlet.storage.FileKey;

/** A file key named in a request must be a key of the caller's tenant; nothing is looked up before that holds. */
public final class TenantScope {

    private TenantScope() {
    }

    public static FileKey requireOwnFile(String fileKey, String tenant) {
        FileKey key = FileKey.parse(fileKey).orElseThrow(() -> ApiException.notFound(
                "Unknown file_key: it is not a key returned by generate-upload-url or upload-json",
                ApiError.atField("/file_key", "is not a file key of this service")));
        if (!key.tenant().equals(tenant)) {
            throw ApiException.forbidden("This file_key belongs to another tenant",
                    ApiError.atField("/file_key", "is not a key of your tenant"));
        }
        return key;
    }
}

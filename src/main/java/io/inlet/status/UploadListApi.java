package io.inlet.status;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import io.inlet.api.ApiError;
import io.inlet.api.ApiException;
import io.inlet.api.JsonResponses;
import io.inlet.storage.BoundedS3Calls;
import io.inlet.tenant.ApiKeyAuth;
import org.apache.camel.Exchange;

/**
 * GET /ingestion/uploads?limit=&cursor=: the caller's uploads, newest first, a page at a time. One listing of the
 * tenant's {@link UploadIndex} gives the page, then the page's status documents are read side by side (a bounded
 * number at once, for all listings together), so a page costs the same with ten uploads or a million. An entry
 * whose status document is missing (a crash between the entry and the document) is answered from the buckets, as
 * the status endpoint does, or left out when nothing knows its file: a page may hold fewer than {@code limit}.
 */
public final class UploadListApi {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 200;
    private static final String LIMIT_RULE = "must be a whole number from 1 to " + MAX_LIMIT;

    private final UploadIndex index;
    private final UploadStatusApi statuses;
    private final BoundedS3Calls calls;

    public UploadListApi(UploadIndex index, UploadStatusApi statuses, BoundedS3Calls calls) {
        this.index = index;
        this.statuses = statuses;
        this.calls = calls;
    }

    public UploadList list(Exchange exchange) {
        String tenant = ApiKeyAuth.tenantOf(exchange);
        int limit = limit(exchange.getMessage().getHeader("limit", String.class));
        Optional<String> after = cursor(exchange.getMessage().getHeader("cursor", String.class));
        UploadIndex.Page page = index.page(tenant, limit, after);
        List<Optional<UploadList.Upload>> found = calls.map(page.entries(),
                entry -> statuses.find(entry.file()).map(status -> UploadList.Upload.of(status, entry)));
        List<UploadList.Upload> uploads = new ArrayList<>(found.size());
        Set<String> seen = new HashSet<>();
        for (Optional<UploadList.Upload> upload : found) {
            // a file confirmed without an upload URL and cut short by a crash can have two entries
            upload.filter(u -> seen.add(u.fileKey())).ifPresent(uploads::add);
        }
        return JsonResponses.ok(exchange, new UploadList(uploads, page.next().map(UploadListApi::encode).orElse(null)));
    }

    private static int limit(String given) {
        if (given == null || given.isBlank()) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(given.trim());
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw ApiException.badRequest("limit " + LIMIT_RULE + ", not '" + given + "'", ApiError.atField("/limit", LIMIT_RULE));
    }

    /**
     * The entry name a cursor continues after. The listing stays under the caller's prefix whatever it says, so only
     * what no entry name can be is refused; a name of no entry is fine (the listing starts after it).
     */
    private static Optional<String> cursor(String given) {
        if (given == null || given.isEmpty()) {
            return Optional.empty();
        }
        try {
            String name = new String(Base64.getUrlDecoder().decode(given), StandardCharsets.UTF_8);
            if (!name.isEmpty() && name.indexOf('/') < 0 && name.chars().noneMatch(Character::isISOControl)) {
                return Optional.of(name);
            }
        } catch (IllegalArgumentException e) {
            // said below
        }
        throw ApiException.badRequest("cursor is not one this listing gave: pass next_cursor of the previous page as it is",
                ApiError.atField("/cursor", "is not a cursor of this listing"));
    }

    private static String encode(String name) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(name.getBytes(StandardCharsets.UTF_8));
    }
}

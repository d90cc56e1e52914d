package io.inlet.status;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
    /** Between an entry's name and the count of its uploads shown, in a cursor; no entry name has it. */
    private static final char SHOWN = '#';
    private static final int MAX_SHOWN = 1000;
    private static final String LIMIT_RULE = "must be a whole number from 1 to " + MAX_LIMIT;

    /** Pages of one tenant listed at once; more are answered 503 with Retry-After. */
    static final int PAGES_AT_ONCE_PER_TENANT = 4;

    private final Map<String, Integer> listing = new ConcurrentHashMap<>();
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
        // a tenant's pages read one after another, a few at once: the status reads of all listings share one bounded
        // pool, and one tenant's many pages at once made another's console listing take seconds
        if (listing.merge(tenant, 1, Integer::sum) > PAGES_AT_ONCE_PER_TENANT) {
            listing.computeIfPresent(tenant, (t, n) -> n > 1 ? n - 1 : null);
            throw new ApiException(503, "Too many pages of tenant '" + tenant + "' are being listed at once (at most "
                    + PAGES_AT_ONCE_PER_TENANT + "); retry after 1 s", List.of(), Map.of("Retry-After", "1"));
        }
        try {
            return page(exchange, tenant);
        } finally {
            listing.computeIfPresent(tenant, (t, n) -> n > 1 ? n - 1 : null);
        }
    }

    private UploadList page(Exchange exchange, String tenant) {
        int limit = limit(exchange.getMessage().getHeader("limit", String.class));
        Optional<Cursor> cursor = cursor(exchange.getMessage().getHeader("cursor", String.class));
        List<UploadList.Upload> uploads = new ArrayList<>(limit);
        Set<String> seen = new HashSet<>();
        // An entry can stand for many uploads (an inbox object shared by upload-json batches): a page may end inside
        // one, and the cursor then says how many of its uploads were shown.
        if (cursor.isPresent() && cursor.get().shown() >= 0) {
            Optional<UploadIndex.Entry> entry = UploadIndex.parse(tenant, cursor.get().name());
            if (entry.isPresent()) {
                Optional<Cursor> next = add(uploads, seen, limit, entry.get(), summaries(entry.get()),
                        cursor.get().shown());
                if (next.isPresent()) {
                    return JsonResponses.ok(exchange, new UploadList(uploads, next.get().encoded()));
                }
            }
        }
        if (uploads.size() == limit) {
            return JsonResponses.ok(exchange, new UploadList(uploads, new Cursor(cursor.get().name(), -1).encoded()));
        }
        UploadIndex.Page page = index.page(tenant, limit - uploads.size(), cursor.map(Cursor::name));
        // each status cut down to its summary as it is read: a page never holds 200 whole status documents (one
        // may list a backfill's 10,000 lake files) until its last is read
        List<List<UploadList.Upload>> found = calls.map(page.entries(), this::summaries);
        for (int i = 0; i < found.size(); i++) {
            Optional<Cursor> next = add(uploads, seen, limit, page.entries().get(i), found.get(i), 0);
            if (next.isPresent()) {
                return JsonResponses.ok(exchange, new UploadList(uploads, next.get().encoded()));
            }
        }
        return JsonResponses.ok(exchange, new UploadList(uploads, page.next().map(name -> new Cursor(name, -1).encoded())
                .orElse(null)));
    }

    private List<UploadList.Upload> summaries(UploadIndex.Entry entry) {
        return statuses.findListed(entry.file()).stream().map(status -> UploadList.Upload.of(status, entry)).toList();
    }

    /** Adds the entry's uploads from the {@code from}th on; where the page is full first, the cursor to go on from. */
    private static Optional<Cursor> add(List<UploadList.Upload> uploads, Set<String> seen, int limit,
            UploadIndex.Entry entry, List<UploadList.Upload> listed, int from) {
        for (int i = from; i < listed.size(); i++) {
            if (uploads.size() == limit) {
                return Optional.of(new Cursor(entry.name(), i));
            }
            UploadList.Upload upload = listed.get(i);
            // a file confirmed without an upload URL and cut short by a crash can have two entries
            if (seen.add(upload.fileKey())) {
                uploads.add(upload);
            }
        }
        return Optional.empty();
    }

    /** Where a page goes on: after the entry {@code name}, or, when {@code shown >= 0}, within it after that many. */
    private record Cursor(String name, int shown) {

        String encoded() {
            String text = shown < 0 ? name : name + SHOWN + shown;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
        }
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

    /** The longest entry name (an S3 key is at most 1,024 bytes). */
    private static final int MAX_NAME = 1024;

    /**
     * The entry name a cursor continues after (and how many of its uploads were shown, when a page ended within it).
     * The listing stays under the caller's prefix whatever it says, so only what no entry name can be is refused; a
     * name of no entry is fine (the listing starts after it).
     */
    private static Optional<Cursor> cursor(String given) {
        if (given == null || given.isEmpty()) {
            return Optional.empty();
        }
        try {
            String text = new String(Base64.getUrlDecoder().decode(given), StandardCharsets.UTF_8);
            int mark = text.lastIndexOf(SHOWN);
            String name = mark < 0 ? text : text.substring(0, mark);
            int shown = mark < 0 ? -1 : Integer.parseInt(text.substring(mark + 1));
            // entry names are printable ASCII (digits, a file key's characters): anything else, U+FFFF say, is no
            // cursor, and would reach S3 as a listing's start (S3Proxy echoed it into XML its own client cannot read)
            if (!name.isEmpty() && name.length() <= MAX_NAME && name.indexOf('/') < 0 && name.indexOf(SHOWN) < 0
                    && shown >= -1 && shown <= MAX_SHOWN && name.chars().allMatch(c -> c > ' ' && c < 0x7f)) {
                return Optional.of(new Cursor(name, shown));
            }
        } catch (IllegalArgumentException e) {
            // said below (NumberFormatException included)
        }
        throw ApiException.badRequest("cursor is not one this listing gave: pass next_cursor of the previous page as it is",
                ApiError.atField("/cursor", "is not a cursor of this listing"));
    }
}

package io.inlet.storage;

import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.inlet.schema.Stream;
import io.inlet.tenant.TenantId;

/**
 * A file key of the reference layout, the name an uploaded file keeps in every bucket:
 * {@code data/tenants/objects/{stream}/source_system={source}/tenant={tenant}/dt={yyyy-MM-dd-HH-mm}/{id}.jsonl[.gz]}.
 * It carries the tenant and the stream, so every stage routes by key alone. Other systems writing into the
 * inbox may also end names in .ndjson or .json (optionally .gz), and a zip archive of such files ends in .zip; what
 * the content is, gzip, zip or plain, is told by its first bytes, never by the name.
 */
public record FileKey(Stream stream, String source, String tenant, String dt, String id, String extension) {

    public static final String PREFIX = "data/tenants/objects/";
    /** The layout in words, for messages about keys that do not follow it. */
    public static final String LAYOUT_DESCRIPTION = "data/tenants/objects/{stream}/source_system=…/tenant=…/dt=…/….jsonl[.gz] (or .zip)";
    /** The ending of a zip archive's key (its entries are read one after the other). */
    public static final String ZIP = "zip";
    public static final String SOURCE_API = "dataapi";
    public static final String SOURCE_DROP_FOLDER = "dropfolder";

    private static final DateTimeFormatter DT = DateTimeFormatter.ofPattern("yyyy-MM-dd-HH-mm").withZone(ZoneOffset.UTC);
    private static final Pattern LAYOUT = Pattern.compile(
            "data/tenants/objects/([a-z_]+)/source_system=([a-z0-9_-]{1,32})/tenant=(" + TenantId.PATTERN
                    + ")/dt=(\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2})/([A-Za-z0-9_-][A-Za-z0-9._-]{0,127}?)"
                    + "\\.(jsonl|jsonl\\.gz|ndjson|ndjson\\.gz|json|json\\.gz|zip)");

    /** A new key for a file received now; {@code gzip} picks the {@code .jsonl.gz} ending. */
    public static FileKey create(Stream stream, String source, String tenant, Instant at, boolean gzip) {
        return create(stream, source, tenant, at, UUID.randomUUID().toString(), gzip);
    }

    public static FileKey create(Stream stream, String source, String tenant, Instant at, String id, boolean gzip) {
        return create(stream, source, tenant, at, id, gzip ? "jsonl.gz" : "jsonl");
    }

    /** A key with the given ending (one the layout accepts, such as {@link #ZIP}). */
    public static FileKey create(Stream stream, String source, String tenant, Instant at, String id, String extension) {
        return new FileKey(stream, source, tenant, DT.format(at), id, extension);
    }

    public static Optional<FileKey> parse(String key) {
        return parse(key, true);
    }

    /**
     * A key a sealed batch's manifest holds: as {@link #parse}, but a {@code dt} that is no real minute is taken as
     * it is (a batch planned by an earlier version may hold one; its files must still be settled).
     */
    public static Optional<FileKey> ofManifest(String key) {
        return parse(key, false);
    }

    private static Optional<FileKey> parse(String key, boolean strictMinute) {
        if (key == null) {
            return Optional.empty();
        }
        Matcher m = LAYOUT.matcher(key);
        if (!m.matches() || strictMinute && !isMinute(m.group(4))) {
            return Optional.empty();
        }
        Optional<Stream> stream = Stream.fromWireName(m.group(1));
        return stream.map(s -> new FileKey(s, m.group(2), m.group(3), m.group(4), m.group(5), m.group(6)));
    }

    /**
     * Whether a {@code dt} the layout's pattern matched ({@code yyyy-MM-dd-HH-mm}, all digits) is a real minute:
     * February 30th or 25:00 is no name of this layout. Read digit by digit: every listed inbox object is parsed.
     */
    private static boolean isMinute(String dt) {
        int year = Integer.parseInt(dt, 0, 4, 10);
        int month = Integer.parseInt(dt, 5, 7, 10);
        int day = Integer.parseInt(dt, 8, 10, 10);
        return month >= 1 && month <= 12 && day >= 1 && day <= YearMonth.of(year, month).lengthOfMonth()
                && Integer.parseInt(dt, 11, 13, 10) < 24 && Integer.parseInt(dt, 14, 16, 10) < 60;
    }

    /**
     * The date part of {@code dt}: when the file was received, which is the partition date of contacts and accounts.
     * A day that does not exist (a key of a batch an earlier version planned, see {@link #ofManifest}) counts on past
     * the month's end, February 30th as March 2nd: its batch runs to the end instead of failing at every attempt.
     */
    public LocalDate receivedDate() {
        return LocalDate.of(Integer.parseInt(dt, 0, 4, 10), 1, 1)
                .plusMonths(Integer.parseInt(dt, 5, 7, 10) - 1L).plusDays(Integer.parseInt(dt, 8, 10, 10) - 1L);
    }

    /**
     * Whether this is the name of what upload-json writes (its records were checked whole when they arrived). Names
     * of this form are given by the service; other writers into the inbox use their own {@code source_system}.
     */
    public boolean isUploadJson() {
        return SOURCE_API.equals(source) && "jsonl".equals(extension);
    }

    public String key() {
        return tenantPrefix(stream, source, tenant) + "dt=" + dt + "/" + id + "." + extension;
    }

    /** What the keys of one tenant's files of a stream from one source begin with. */
    public static String tenantPrefix(Stream stream, String source, String tenant) {
        return PREFIX + stream.wireName() + "/source_system=" + source + "/tenant=" + tenant + "/";
    }

    @Override
    public String toString() {
        return key();
    }
}

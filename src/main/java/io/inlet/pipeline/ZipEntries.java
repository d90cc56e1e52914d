package io.inlet.pipeline;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

import io.inlet.FileMagic;
import io.inlet.status.RefusedEntry;
import io.inlet.status.UploadStatus;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.zip.UnsupportedZipFeatureException;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipMethod;
import org.apache.commons.compress.utils.ArchiveUtils;
import org.apache.commons.io.input.ProxyInputStream;

/**
 * The JSONL entries of a zip archive, one after the other, as the archive streams in from S3: commons-compress reads
 * each entry's local header and data in archive order, so nothing is held whole, spooled or written to disk, and a
 * rerun reads the same entries in the same order. Entries that use a data descriptor (sizes after the data, as zip
 * tools writing to a pipe do) are read like the others.
 *
 * <p>An entry named {@code .jsonl}, {@code .ndjson} or {@code .json} (optionally {@code .gz}; gzip is still told by
 * its content) is read like a file of its own. Folders, {@code __MACOSX/} and dot-files (metadata zip tools add) are
 * passed over; any other entry, an encrypted one, a path out of the archive or a compression method that cannot be
 * read is refused with a reason ({@link #summary}), and the archive's other entries are still read.
 *
 * <p>The archive fails as a whole (a {@link SourceFailure}) when it is truncated or corrupt, has more than
 * {@code maxEntries} entries, inflates like a bomb (an entry more than {@code maxRatio} times its compressed bytes,
 * or all entries together more than that times the archive's bytes read), when an entry does not match its CRC, or
 * when an entry cannot be passed over: stored (not compressed) or encrypted with its size after its data, its end
 * cannot be found without reading it, and so neither can anything after it.
 */
final class ZipEntries implements Closeable {

    private static final Pattern JSONL_NAME = Pattern.compile(".*\\.(jsonl|ndjson|json)(\\.gz)?");
    private static final Pattern DRIVE = Pattern.compile("[A-Za-z]:.*");

    private final ReadCount input;
    private final ZipArchiveInputStream zip;
    private final LongSupplier archiveBytesRead;
    private final long maxRatio;
    private final int maxEntries;

    private int entriesSeen;
    private long entriesRead;
    private long entriesRefused;
    private final List<RefusedEntry> firstRefused = new ArrayList<>();
    /** Bytes all entries inflated to so far (what the archive-wide bomb check counts). */
    private long inflatedTotal;
    /** The JSONL entry being read, if any. */
    private Reading current;

    ZipEntries(InputStream archive, LongSupplier archiveBytesRead, long maxRatio, int maxEntries) {
        this.input = new ReadCount(archive);
        // Names without the UTF-8 flag are read as UTF-8 too (what current tools write), Info-ZIP's Unicode path
        // fields honoured; stored entries with a data descriptor are not buffered whole (allowStored... false).
        this.zip = new ZipArchiveInputStream(input, StandardCharsets.UTF_8.name(), true, false, false);
        this.archiveBytesRead = archiveBytesRead;
        this.maxRatio = maxRatio;
        this.maxEntries = maxEntries;
    }

    /**
     * The next JSONL entry, or null at the end of the archive. The entry before is read to its end first and
     * checked against its CRC (known only after its data when it has a data descriptor).
     */
    SourceStream.Content next() throws IOException {
        Reading previous = current;
        current = null;
        if (previous != null) {
            previous.finish();
        }
        while (true) {
            ZipArchiveEntry entry = nextEntry();
            if (previous != null) {
                previous.verify();
                previous = null;
            }
            if (entry == null) {
                return null;
            }
            if (++entriesSeen > maxEntries) {
                throw new SourceFailure("refused: the archive has more than " + maxEntries
                        + " entries (inlet.pipeline.zip.max-entries)");
            }
            String name = ArchiveUtils.sanitize(entry.getName());
            if (entry.isDirectory() || isMetadata(entry.getName())) {
                passOver(entry, name, null);
                continue;
            }
            String refusal = refusal(entry);
            if (refusal != null) {
                refuse(entry, name, refusal, null);
                continue;
            }
            EntryData data = new EntryData(entry, name);
            BufferedInputStream buffered = new BufferedInputStream(data, 65_536);
            byte[] head = SourceStream.head(buffered);
            InputStream content;
            if (FileMagic.isGzip(head)) {
                BufferedInputStream gunzipped = new BufferedInputStream(new SourceStream.GzipContent(buffered, name), 65_536);
                String binary;
                try {
                    binary = SourceStream.binaryReason(gunzipped);
                } catch (IOException | RuntimeException unreadable) {
                    gunzipped.close(); // the entry's inflater; the archive's is closed with the source
                    throw unreadable;
                }
                if (binary != null) {
                    gunzipped.close();
                    refuse(entry, name, "gzip, but what it holds is not JSONL text (" + binary + ")", data);
                    continue;
                }
                content = gunzipped;
            } else if (SourceStream.looksLikeText(head)) {
                content = buffered;
            } else {
                refuse(entry, name, "neither gzip nor JSONL text (" + SourceStream.binaryEvidence(head) + ")", data);
                continue;
            }
            current = new Reading(data, inflationChecked(content, name));
            entriesRead++;
            return new SourceStream.Content(name, current.lines);
        }
    }

    ArchiveEntries summary() {
        return new ArchiveEntries(entriesRead, entriesRefused, List.copyOf(firstRefused));
    }

    /** Frees the native inflaters (the entry's gunzip, the archive's) and closes the stored object's stream. */
    @Override
    public void close() throws IOException {
        try {
            if (current != null) {
                current.lines.close();
            }
        } finally {
            zip.close();
        }
    }

    private ZipArchiveEntry nextEntry() throws IOException {
        ZipArchiveEntry entry;
        try {
            entry = zip.getNextEntry();
        } catch (IOException e) {
            throw problem(e, null);
        } catch (RuntimeException e) {
            throw new SourceFailure("corrupt zip (" + e.getMessage() + ")", e);
        }
        if (entry == null && !atCentralDirectory()) {
            throw new SourceFailure("truncated zip: the archive ends before its list of entries (an interrupted upload?)");
        }
        return entry;
    }

    /**
     * After the last entry: whether the archive's central directory was reached, rather than the input's end where
     * another header should be (commons-compress takes both for the end). Once it has reached the directory it
     * answers every later call without reading; after an early end it tries to read again.
     */
    private boolean atCentralDirectory() {
        long reads = input.reads;
        try {
            zip.getNextEntry();
        } catch (IOException | RuntimeException readingOn) {
            return false;
        }
        return input.reads == reads;
    }

    /** Why the entry is not read, or null when it is a JSONL entry to read. */
    private String refusal(ZipArchiveEntry entry) {
        String path = entry.getName().replace('\\', '/');
        if (path.startsWith("/") || DRIVE.matcher(path).matches() || List.of(path.split("/")).contains("..")) {
            return "its path points outside the archive (entries are never written anywhere, but such a path is refused)";
        }
        if (entry.getGeneralPurposeBit().usesEncryption() || entry.getGeneralPurposeBit().usesStrongEncryption()) {
            return "it is encrypted, and encrypted entries cannot be read";
        }
        if (!zip.canReadEntryData(entry)) {
            return "its compression method (" + method(entry) + ") cannot be read: use deflate, any zip tool's default";
        }
        String lower = path.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".zip")) {
            return "a zip inside the archive is not read: put its files in the archive itself";
        }
        if (!JSONL_NAME.matcher(lower).matches()) {
            return "not a JSONL file: only entries named .jsonl, .ndjson or .json (optionally .gz) are read";
        }
        return null;
    }

    /** Folders' own entries, macOS's resource forks ({@code __MACOSX/}) and dot-files ({@code .DS_Store}). */
    private static boolean isMetadata(String path) {
        String normalized = path.replace('\\', '/');
        String base = normalized.substring(normalized.lastIndexOf('/') + 1);
        return normalized.startsWith("__MACOSX/") || base.startsWith(".");
    }

    private void refuse(ZipArchiveEntry entry, String name, String reason, EntryData opened) throws IOException {
        entriesRefused++;
        if (firstRefused.size() < UploadStatus.MAX_LISTED_REFUSED_ENTRIES) {
            firstRefused.add(new RefusedEntry(name, reason));
        }
        passOver(entry, name, opened);
    }

    /**
     * Goes past an entry that is not read. With its size known up front commons-compress skips its stored bytes
     * without inflating them; otherwise it is inflated to its end here, under the bomb checks. An entry whose end
     * cannot be found without reading it (stored or encrypted, with a data descriptor) ends the archive.
     */
    private void passOver(ZipArchiveEntry entry, String name, EntryData opened) throws IOException {
        if (!entry.getGeneralPurposeBit().usesDataDescriptor() && entry.getCompressedSize() != ArchiveEntry.SIZE_UNKNOWN) {
            return;
        }
        if (!zip.canReadEntryData(entry)) {
            throw new SourceFailure("entry '" + name + "' is " + unpassable(entry) + " and has its size after its data"
                    + " (a data descriptor), so neither it nor anything after it in the archive can be read as a stream:"
                    + " zip the files again with compression and without encryption");
        }
        drain(inflationChecked(opened != null ? opened : new EntryData(entry, name), name));
    }

    private String unpassable(ZipArchiveEntry entry) {
        if (entry.getGeneralPurposeBit().usesEncryption()) {
            return "encrypted";
        }
        return entry.getMethod() == ZipMethod.STORED.getCode() ? "stored without compression"
                : "compressed with " + method(entry);
    }

    private static String method(ZipArchiveEntry entry) {
        ZipMethod method = ZipMethod.getMethodByCode(entry.getMethod());
        return method == null ? "method " + entry.getMethod() : method.name();
    }

    private static void drain(InputStream in) throws IOException {
        byte[] scratch = new byte[65_536];
        while (in.read(scratch, 0, scratch.length) >= 0) {
            // discarded
        }
    }

    /** What went wrong, in the archive's terms; a storage failure stays one (the file is not at fault). */
    private static IOException problem(IOException e, String entry) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StorageReadException storage) {
                return storage;
            }
        }
        if (e instanceof SourceFailure failure) {
            return failure;
        }
        if (e instanceof EOFException || String.valueOf(e.getMessage()).startsWith("Truncated ZIP")) {
            return new SourceFailure("truncated zip: the archive ends inside " + (entry == null ? "an entry" : "entry '" + entry + "'")
                    + " (an interrupted upload?)", e);
        }
        if (e instanceof UnsupportedZipFeatureException) {
            return new SourceFailure("unsupported zip (" + e.getMessage() + ")", e);
        }
        return new SourceFailure("corrupt zip" + (entry == null ? "" : " in entry '" + entry + "'") + " (" + e.getMessage() + ")", e);
    }

    /** An entry's content as it is read (after any gunzip), counted for the entry's and the archive's bomb checks. */
    private InputStream inflationChecked(InputStream content, String name) {
        return new SourceStream.InflationCheck(content, (produced, more) -> {
            inflatedTotal += more;
            checkInflation(produced, name);
        });
    }

    /** Stops an entry (or the archive) that inflates like a bomb; {@code produced}: the entry's bytes so far. */
    private void checkInflation(long produced, String name) throws SourceFailure {
        if (produced > SourceStream.BOMB_CHECK_AFTER && produced > maxRatio * Math.max(zip.getCompressedCount(), 1)) {
            throw new SourceFailure("refused as a zip bomb: entry '" + name + "' inflates more than " + maxRatio
                    + " times its compressed size");
        }
        if (inflatedTotal > SourceStream.BOMB_CHECK_AFTER && inflatedTotal > maxRatio * Math.max(archiveBytesRead.getAsLong(), 1)) {
            throw new SourceFailure("refused as a zip bomb: its entries inflate more than " + maxRatio
                    + " times the archive's size");
        }
    }

    /** The JSONL entry being read: its raw data (for the CRC) and its lines (gunzipped when gzip). */
    private record Reading(EntryData data, InputStream lines) {

        /** Reads what is left (nothing, once its lines were all read) and frees the entry's gunzip. */
        void finish() throws IOException {
            drain(lines);
            drain(data);
            lines.close();
        }

        void verify() throws SourceFailure {
            data.verify();
        }
    }

    /** The current entry's bytes as the archive inflates them, with their CRC; closing it leaves the archive open. */
    private final class EntryData extends BlockInputStream {
        private final ZipArchiveEntry entry;
        private final String name;
        private final CRC32 crc = new CRC32();
        private long size;

        EntryData(ZipArchiveEntry entry, String name) {
            this.entry = entry;
            this.name = name;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = zip.read(b, off, len);
            } catch (IOException e) {
                throw problem(e, name);
            } catch (RuntimeException e) {
                throw new SourceFailure("corrupt zip in entry '" + name + "' (" + e.getMessage() + ")", e);
            }
            if (n > 0) {
                crc.update(b, off, n);
                size += n;
                // the zip's own inflation (before any gunzip of the entry), which may produce no lines at all
                checkInflation(size, name);
            }
            return n;
        }

        @Override
        public void close() {
            // the archive goes on with its next entry
        }

        /** Once past the entry (its data descriptor read): its CRC and size as the archive gives them. */
        void verify() throws SourceFailure {
            if (entry.getCrc() != -1 && entry.getCrc() != crc.getValue()) {
                throw new SourceFailure("corrupt zip: entry '" + name + "' does not match its CRC-32 checksum");
            }
            if (entry.getSize() != ArchiveEntry.SIZE_UNKNOWN && entry.getSize() != size) {
                throw new SourceFailure("corrupt zip: entry '" + name + "' is " + size + " bytes, not the " + entry.getSize()
                        + " its header gives");
            }
        }
    }

    /** Counts the reads of the archive's input, those at its end included (see {@link #atCentralDirectory}). */
    private static final class ReadCount extends ProxyInputStream {
        long reads;

        ReadCount(InputStream in) {
            super(in);
        }

        @Override
        protected void beforeRead(int n) {
            reads++;
        }

        @Override
        public long skip(long n) throws IOException {
            reads++;
            return super.skip(n);
        }
    }
}

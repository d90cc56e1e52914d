package io.inlet.pipeline;

import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * The parts the lake writer would open for one file's valid records, fed in file order, and so which of them its
 * {@link PartsAllowance} would refuse: for the dry run, which stores nothing. It keeps the writer's account for a file
 * alone in its batch — a part per day until it is full (records or bytes), at most {@code maxOpenParts} open with the
 * one written least recently closed first — without the records themselves. (In a batch with other files, theirs
 * share the open parts and may close one early, so the pipeline may refuse a few more than forecast.)
 */
final class PartsForecast {

    private final PartsAllowance allowance;
    private final long maxRecordsPerPart;
    private final long maxBytesPerPart;
    private final int maxOpenParts;
    /** Open parts by day, least recently written first: {records, bytes}. */
    private final LinkedHashMap<Integer, long[]> open = new LinkedHashMap<>(64, 0.75f, true);
    private long parts;
    private long valid;

    PartsForecast(BatchManifest.Cut cut) {
        this.allowance = cut.partsAllowance();
        this.maxRecordsPerPart = cut.maxRecordsPerPart();
        this.maxBytesPerPart = cut.maxBytesPerPart();
        this.maxOpenParts = cut.maxOpenParts();
    }

    /** The next valid record (its day and its line's length): whether the lake writer would take it. */
    boolean accepts(int epochDay, int length) {
        valid++;
        long[] part = open.get(epochDay);
        if (part != null && (part[0] >= maxRecordsPerPart || part[1] + length + 1 > maxBytesPerPart)) {
            open.remove(epochDay);
            part = null;
        }
        if (part == null) {
            if (parts >= allowance.allowed(valid)) {
                return false;
            }
            parts++;
            if (maxOpenParts > 0 && open.size() >= maxOpenParts) {
                Iterator<Integer> leastRecent = open.keySet().iterator();
                leastRecent.next();
                leastRecent.remove();
            }
            part = new long[2];
            open.put(epochDay, part);
        }
        part[0]++;
        part[1] += length + 1;
        return true;
    }

    /** The valid records so far, those refused included (what the refusal's message counts). */
    long valid() {
        return valid;
    }

    PartsAllowance allowance() {
        return allowance;
    }
}

package io.inlet.pipeline;

import io.inlet.schema.FieldError;
import io.inlet.schema.Stream;

/**
 * How many lake part files the records of one file (or one upload-json batch) may go to: {@code free} whatever its
 * size, one more for every {@code recordsPerExtra} of its records, and never more than {@code max}. A part is an S3
 * PUT, a status-document entry and a file for every reader of the lake, so a few records spread over many days must
 * not cost one of each per record; a large file gets room in proportion to its size.
 *
 * @param free            parts any file may go to
 * @param recordsPerExtra records that earn one more part; 0: no allowance by size (only {@code max})
 * @param max             parts no file goes past; 0: no bound at all (manifests written before there was one)
 */
public record PartsAllowance(int free, int recordsPerExtra, int max) {

    /** The parts a file of {@code records} records may go to. */
    public long allowed(long records) {
        long bound = max > 0 ? max : Long.MAX_VALUE;
        return recordsPerExtra > 0 ? Math.min(bound, free + records / recordsPerExtra) : bound;
    }

    /** The rule in words, for the messages of records refused by it. */
    public String inWords() {
        if (recordsPerExtra <= 0 || (max > 0 && max <= free)) {
            return max > 0 ? "at most " + max : "no bound";
        }
        return free + " and one more for every " + recordsPerExtra + " records, at most " + max;
    }

    /**
     * Why a valid record of a file of this stream is refused: the file's earlier records already fill as many parts as
     * its first {@code valid} valid records (this one included) may go to.
     */
    public FieldError refusal(Stream stream, long valid) {
        String field = stream.eventTimeField();
        return new FieldError(field == null ? "" : "/" + field, "cannot be stored: this file's earlier records already"
                + " fill " + allowed(valid) + " lake files, as many as its first " + valid + " valid records may go to ("
                + inWords() + ": settings inlet.lake.free-parts-per-file, .records-per-extra-part,"
                + " .max-parts-per-file; a lake file holds records of one day); send records of these days in another"
                + " file");
    }
}

package io.inlet.pipeline;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.time.LocalDate;
import java.util.List;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.inlet.JsonNumbers;
import io.inlet.JsonParseErrors;
import io.inlet.UnicodeText;
import io.inlet.schema.FieldError;
import io.inlet.schema.RecordValidator;
import io.inlet.schema.Stream;

/**
 * Parses and validates the lines of one file, and decides each valid record's lake partition date: the
 * event's own date (UTC) for events, the date the file was received for contacts and accounts. Stateless
 * per chunk, so chunks can be checked in parallel.
 */
final class RecordCheck {

    private final ObjectReader reader;
    private final RecordValidator validator;
    private final Stream stream;
    private final int receivedEpochDay;
    private final long maxLineBytes;

    RecordCheck(ObjectMapper json, RecordValidator validator, Stream stream, LocalDate receivedDate, long maxLineBytes) {
        this.reader = json.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        this.validator = validator;
        this.stream = stream;
        this.receivedEpochDay = (int) receivedDate.toEpochDay();
        this.maxLineBytes = maxLineBytes;
    }

    void check(Chunk chunk) {
        for (int i = 0; i < chunk.count; i++) {
            chunk.errors[i] = null;
            if (chunk.oversizedLength[i] > 0) {
                chunk.verdict[i] = Chunk.REJECTED;
                chunk.errors[i] = List.of(new FieldError("", "the line is " + chunk.oversizedLength[i]
                        + " bytes long, over the limit of " + maxLineBytes + " bytes for one record"));
                continue;
            }
            if (isBlank(chunk.data, chunk.start[i], chunk.length[i])) {
                chunk.verdict[i] = Chunk.BLANK;
                continue;
            }
            UnicodeText.Flaw flaw = UnicodeText.firstFlaw(chunk.data, chunk.start[i], chunk.length[i]);
            if (flaw != null) {
                chunk.verdict[i] = Chunk.REJECTED;
                chunk.errors[i] = List.of(new FieldError(UnicodeText.pointerAt(reader.getFactory(), chunk.data,
                        chunk.start[i], chunk.length[i], flaw.offset()),
                        "is not valid Unicode at byte " + (flaw.offset() + 1) + " of the line: " + flaw.what()));
                continue;
            }
            JsonNode record;
            try {
                record = reader.readTree(chunk.data, chunk.start[i], chunk.length[i]);
            } catch (JsonProcessingException e) {
                chunk.verdict[i] = Chunk.REJECTED;
                JsonLocation at = e.getLocation();
                JsonParseErrors.Finding finding = JsonParseErrors.of(reader.getFactory(), chunk.data, chunk.start[i],
                        chunk.length[i], e, 1, reader.getFactory().streamReadConstraints().getMaxNestingDepth(),
                        at == null ? "" : " at column " + at.getColumnNr());
                chunk.errors[i] = List.of(new FieldError(finding.pointer(), finding.message()));
                continue;
            } catch (IOException e) {
                chunk.verdict[i] = Chunk.REJECTED;
                chunk.errors[i] = List.of(new FieldError("", "unreadable line: " + e.getMessage()));
                continue;
            } catch (RuntimeException e) {
                if (!JsonNumbers.isOutOfRange(e)) {
                    throw e;
                }
                // one such line must not fail the batch, and with it the other files it holds
                chunk.verdict[i] = Chunk.REJECTED;
                JsonNumbers.OutOfRange number = JsonNumbers.find(reader.getFactory(), chunk.data, chunk.start[i],
                        chunk.length[i]);
                chunk.errors[i] = List.of(new FieldError(number.pointer(), number.message()));
                continue;
            }
            List<FieldError> problems = validator.validate(stream, record);
            if (!problems.isEmpty()) {
                chunk.verdict[i] = Chunk.REJECTED;
                chunk.errors[i] = problems;
                continue;
            }
            chunk.verdict[i] = Chunk.VALID;
            chunk.epochDay[i] = stream.lakeDay(record, receivedEpochDay);
            blankCarriageReturns(chunk.data, chunk.start[i], chunk.length[i]);
        }
    }

    /**
     * A carriage return inside a valid record can only be whitespace between tokens (a string may not hold one raw):
     * stored as a space, for readers that take any CR for the end of a line (Python's text files, many CSV-minded
     * tools) would cut the record in two.
     */
    private static void blankCarriageReturns(byte[] data, int start, int length) {
        if (!hasCarriageReturn(data, start, length)) {
            return; // every line is looked at: eight bytes at a time, as almost none has one
        }
        for (int i = start; i < start + length; i++) {
            if (data[i] == '\r') {
                data[i] = ' ';
            }
        }
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long CARRIAGE_RETURNS = 0x0D0D0D0D0D0D0D0DL;
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;

    /** Whether a CR is among the bytes: a word of eight has one when the word XOR eight CRs has a zero byte. */
    static boolean hasCarriageReturn(byte[] data, int start, int length) {
        int i = start;
        int end = start + length;
        for (; i + Long.BYTES <= end; i += Long.BYTES) {
            long word = (long) LONGS.get(data, i) ^ CARRIAGE_RETURNS;
            if (((word - ONES) & ~word & HIGH_BITS) != 0) {
                return true;
            }
        }
        for (; i < end; i++) {
            if (data[i] == '\r') {
                return true;
            }
        }
        return false;
    }

    private static boolean isBlank(byte[] data, int start, int length) {
        for (int i = start; i < start + length; i++) {
            byte b = data[i];
            if (b != ' ' && b != '\t' && b != '\r' && b != '\f') {
                return false;
            }
        }
        return true;
    }
}

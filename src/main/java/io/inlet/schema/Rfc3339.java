package io.inlet.schema;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.networknt.schema.ExecutionContext;
import com.networknt.schema.Format;
import com.networknt.schema.format.DateTimeFormat;

/**
 * The record schemas' {@code date-time}: an RFC 3339 timestamp, the whole string and nothing after it, whose instant
 * falls in the years 0000–9999 in UTC. The validator's own check stays (calendar dates, offsets, leap seconds), but
 * it took trailing text after a {@code Z} ({@code 2025-06-27T07:26:00Zjunk} reached the lake), and a year
 * outside four digits in UTC names no lake partition ({@code dt=+10000-01-01}).
 */
public final class Rfc3339 implements Format {

    private static final Pattern FORM = Pattern.compile(
            "(\\d{4})-(\\d{2})-(\\d{2})[Tt ](\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d+))?(?:[Zz]|([+-])(\\d{2}):(\\d{2}))");

    private final DateTimeFormat library = new DateTimeFormat();

    @Override
    public String getName() {
        return "date-time";
    }

    @Override
    public String getMessageKey() {
        return library.getMessageKey();
    }

    @Override
    public boolean matches(ExecutionContext executionContext, String value) {
        Matcher m = FORM.matcher(value);
        LocalDateTime utc = m.matches() ? utc(m) : null;
        // the library's check (calendar date, time, a leap second only at 23:59:60 UTC) on the same instant in UTC:
        // it refused offsets past ±18:00 (java.time's range, where RFC 3339 has ±23:59), -00:00 ("offset unknown", in
        // UTC) and fractions of more than nine digits
        return utc != null && utc.getYear() >= 0 && utc.getYear() <= 9999
                && library.matches(executionContext, asTheLibraryTakesIt(value, m, utc));
    }

    /**
     * The timestamp itself when the library takes its form (the common case: no text is built), else the same instant
     * in UTC, seconds as given (60 too), the fraction cut to nine digits.
     */
    private static String asTheLibraryTakesIt(String value, Matcher m, LocalDateTime utc) {
        boolean longFraction = m.group(7) != null && m.group(7).length() > 9;
        boolean offsetBeyondJava = m.group(8) != null && (Integer.parseInt(m.group(9)) * 60 + Integer.parseInt(m.group(10))
                > 18 * 60 || m.group(8).equals("-") && m.group(9).equals("00") && m.group(10).equals("00"));
        if (!longFraction && !offsetBeyondJava) {
            return value;
        }
        StringBuilder text = new StringBuilder(40);
        pad(text, utc.getYear(), 4).append('-');
        pad(text, utc.getMonthValue(), 2).append('-');
        pad(text, utc.getDayOfMonth(), 2).append('T');
        pad(text, utc.getHour(), 2).append(':');
        pad(text, utc.getMinute(), 2).append(':').append(m.group(6));
        if (m.group(7) != null) {
            text.append('.').append(m.group(7), 0, Math.min(9, m.group(7).length()));
        }
        return text.append('Z').toString();
    }

    private static StringBuilder pad(StringBuilder text, int number, int digits) {
        String written = Integer.toString(number);
        for (int i = written.length(); i < digits; i++) {
            text.append('0');
        }
        return text.append(written);
    }

    /**
     * The calendar date in UTC of a timestamp of RFC 3339's form (seconds, leap or not, and fractions do not move it),
     * or null when the text is not of that form.
     */
    public static LocalDate utcDate(String value) {
        Matcher m = FORM.matcher(value);
        LocalDateTime utc = m.matches() ? utc(m) : null;
        return utc == null ? null : utc.toLocalDate();
    }

    /** The date, hour and minute in UTC (seconds are the text's) of a matched timestamp, or null when none. */
    private static LocalDateTime utc(Matcher m) {
        try {
            LocalDateTime local = LocalDate.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3))).atTime(LocalTime.of(Integer.parseInt(m.group(4)),
                    Integer.parseInt(m.group(5))));
            if (m.group(8) == null) {
                return local;
            }
            int hours = Integer.parseInt(m.group(9));
            int minutes = Integer.parseInt(m.group(10));
            if (hours > 23 || minutes > 59) {
                return null;
            }
            int offsetMinutes = hours * 60 + minutes;
            return local.minusMinutes(m.group(8).equals("+") ? offsetMinutes : -offsetMinutes);
        } catch (DateTimeException notACalendarDateOrTime) {
            return null;
        }
    }
}

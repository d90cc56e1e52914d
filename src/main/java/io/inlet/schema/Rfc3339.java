package io.inlet.schema;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.Locale;
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
        LocalDateTime utc = utc(value);
        // the library's check (calendar date, time, a leap second only at 23:59:60 UTC) on the same instant in UTC:
        // it refused offsets past ±18:00 (java.time's range, where RFC 3339 has ±23:59), -00:00 ("offset unknown", in
        // UTC) and fractions of more than nine digits
        return utc != null && utc.getYear() >= 0 && utc.getYear() <= 9999
                && library.matches(executionContext, inUtc(value, utc));
    }

    /** The timestamp as the same instant in UTC, seconds as given (60 too), the fraction cut to nine digits. */
    private static String inUtc(String value, LocalDateTime utc) {
        Matcher m = FORM.matcher(value);
        m.matches();
        String fraction = m.group(7) == null ? "" : "." + m.group(7).substring(0, Math.min(9, m.group(7).length()));
        return String.format(Locale.ROOT, "%04d-%02d-%02dT%02d:%02d:%s%sZ", utc.getYear(), utc.getMonthValue(),
                utc.getDayOfMonth(), utc.getHour(), utc.getMinute(), m.group(6), fraction);
    }

    /**
     * The calendar date in UTC of a timestamp of RFC 3339's form (seconds, leap or not, and fractions do not move it),
     * or null when the text is not of that form.
     */
    public static LocalDate utcDate(String value) {
        LocalDateTime utc = utc(value);
        return utc == null ? null : utc.toLocalDate();
    }

    /** The date, hour and minute in UTC (seconds are the text's), or null when not of RFC 3339's form. */
    private static LocalDateTime utc(String value) {
        Matcher m = FORM.matcher(value);
        if (!m.matches()) {
            return null;
        }
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

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
            "(\\d{4})-(\\d{2})-(\\d{2})[Tt ](\\d{2}):(\\d{2}):\\d{2}(?:\\.\\d+)?(?:[Zz]|([+-])(\\d{2}):(\\d{2}))");

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
        LocalDate utc = utcDate(value);
        return utc != null && utc.getYear() >= 0 && utc.getYear() <= 9999 && library.matches(executionContext, value);
    }

    /**
     * The calendar date in UTC of a timestamp of RFC 3339's form (seconds, leap or not, and fractions do not move it),
     * or null when the text is not of that form.
     */
    public static LocalDate utcDate(String value) {
        Matcher m = FORM.matcher(value);
        if (!m.matches()) {
            return null;
        }
        try {
            LocalDateTime local = LocalDate.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3))).atTime(LocalTime.of(Integer.parseInt(m.group(4)),
                    Integer.parseInt(m.group(5))));
            if (m.group(6) == null) {
                return local.toLocalDate();
            }
            int offsetMinutes = Integer.parseInt(m.group(7)) * 60 + Integer.parseInt(m.group(8));
            return local.minusMinutes(m.group(6).equals("+") ? offsetMinutes : -offsetMinutes).toLocalDate();
        } catch (DateTimeException notACalendarDateOrTime) {
            return null;
        }
    }
}
